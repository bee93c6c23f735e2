"""The `saring` command line, run in-process against real databases (SQLite and PostgreSQL).

Each test is what an operator types and what they see: the output lines, the exit code and,
for failures, one line on stderr without a traceback.
"""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import main
from bot.db.repositories import AuditRepository
from bot.db.session import create_engine, create_session_factory

pytestmark = pytest.mark.usefixtures("engine")  # truncates PostgreSQL tables per test

CHANNEL_ID = "-1001234567890"
GAMBLING = "Slot gacor hari ini maxwin! Depo 10rb via dana, wd pasti cair bosku"
CLAIM = (
    "Mulai bulan depan gaji ASN Pemprov DKI Jakarta dipotong 10 persen untuk membiayai "
    "pembangunan ibu kota baru, surat edarannya sudah ditandatangani Gubernur."
)


@pytest.fixture(autouse=True)
def database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SARING_DATABASE_URL", db_url)
    return db_url


def saring(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def audit_actions(url: str) -> list[str]:
    async def query() -> list[str]:
        engine: AsyncEngine = create_engine(url)
        try:
            async with create_session_factory(engine)() as session:
                rows = await AuditRepository().list(session=session, entity="source")
                return [row.action for row in rows]
        finally:
            await engine.dispose()

    return asyncio.run(query())


def test_when_checking_gambling_text_then_reply_leads_with_violation(capsys) -> None:
    code, out, err = saring(capsys, "check", GAMBLING)
    assert code == 0, err
    assert out.startswith("🔴 JANGAN DISEBARKAN")
    assert "SE MenPANRB 137/2018 angka 8" in out
    assert "WIB" in out.splitlines()[-1]


def test_when_json_is_asked_then_the_contract_keys_are_there(capsys) -> None:
    code, out, _ = saring(capsys, "check", "--json", GAMBLING)
    result = json.loads(out)
    assert code == 0
    assert {"verdict", "findings", "sources", "escalate", "reply"} <= result.keys()
    assert result["verdict"] == "violation"
    assert [f["rule"] for f in result["findings"]] == ["gambling"]
    finding = result["findings"][0]
    assert finding["severity"] == "medium"
    assert finding["clauses"] == [
        "SE MenPANRB 137/2018 angka 8",
        "SE Sekda DKI 79/SE/2019 angka 2.b",
    ]
    assert result["escalate"] is False


def test_when_text_comes_on_stdin_then_it_is_checked(capsys, monkeypatch) -> None:
    monkeypatch.setattr(
        "sys.stdin", io.StringIO("Rapat koordinasi besok pukul 09.00 di Balai Kota.")
    )
    code, out, _ = saring(capsys, "check", "--json")
    assert code == 0
    assert json.loads(out)["verdict"] == "unverified"


def test_when_forwarded_from_a_registered_channel_then_ok(capsys) -> None:
    assert saring(capsys, "sources", "add", "telegram_channel", CHANNEL_ID, "--name", "Uji")[0] == 0
    text = "Jadwal pelayanan Samsat keliling hari ini di Taman Suropati pukul 08.00-12.00."
    code, out, _ = saring(capsys, "check", "--json", "--forward-chat-id", CHANNEL_ID, text)
    result = json.loads(out)
    assert code == 0
    assert result["verdict"] == "ok"
    assert result["sources"][0] == {
        "type": "forward_origin",
        "status": "official",
        "kind": "channel",
        "chat_id": int(CHANNEL_ID),
        "username": None,
        "name": "Uji",
    }


def test_when_only_the_username_matches_then_not_official(capsys) -> None:
    saring(capsys, "sources", "add", "telegram_channel", CHANNEL_ID, "--name", "Uji")
    text = "Jadwal pelayanan Samsat keliling hari ini di Taman Suropati pukul 08.00-12.00."
    args = ("check", "--json", "--forward-chat-id", "-1009999", "--forward-chat-username", "uji")
    _, out, _ = saring(capsys, *args, text)
    assert json.loads(out)["verdict"] == "unverified"


def test_when_checking_jsonl_then_one_result_per_line_with_its_id(capsys, tmp_path) -> None:
    lines = [
        json.dumps({"id": "a", "text": GAMBLING}),
        "not json",
        json.dumps({"id": 7, "text": "Info rapat besok"}),
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, _ = saring(capsys, "check", "--jsonl", str(path))
    results = [json.loads(line) for line in out.splitlines()]
    assert code == 1  # a bad line is reported, the others are still checked
    assert [r.get("id") for r in results] == ["a", None, 7]
    assert results[0]["verdict"] == "violation"
    assert results[1] == {"id": None, "line": 2, "error": results[1]["error"]}
    assert results[2]["verdict"] == "unverified"


def test_when_sources_change_then_each_change_is_audited(capsys, database) -> None:
    assert saring(capsys, "sources", "add", "domain", "https://Dishub.Jakarta.go.id/x")[0] == 0
    _, out, _ = saring(capsys, "sources", "list", "--kind", "domain")
    assert "dishub.jakarta.go.id" in out
    assert saring(capsys, "sources", "remove", "domain", "dishub.jakarta.go.id")[0] == 0
    assert "source.add" in audit_actions(database)
    assert "source.remove" in audit_actions(database)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # a username is a label anybody can take: channels are registered by numeric id
        (("sources", "add", "telegram_channel", "@pemprovdki"), "numeric"),
        # a kind DESIGN.md does not know
        (("sources", "add", "website", "jakarta.go.id"), "unknown kind"),
        # removing what is not there
        (("sources", "remove", "domain", "contoh.go.id"), "no source"),
        # nothing to check
        (("check", "   "), "nothing to check"),
        # a claim too short to match safely
        (("hoaxes", "add", "vaksin"), "too short"),
    ],
)
def test_when_input_is_bad_then_one_line_error_and_non_zero_exit(capsys, args, message) -> None:
    code, _, err = saring(capsys, *args)
    assert code == 1
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_when_a_source_is_added_twice_then_the_second_is_refused(capsys) -> None:
    assert saring(capsys, "sources", "add", "domain", "dinkes.jakarta.go.id")[0] == 0
    code, _, err = saring(capsys, "sources", "add", "domain", "DINKES.jakarta.go.id")
    assert code == 1
    assert "already exists" in err


def test_when_importing_sources_then_export_gives_them_back(capsys, tmp_path) -> None:
    path = tmp_path / "sources.csv"
    path.write_text(
        "kind,value,name\n"
        f"telegram_channel,{CHANNEL_ID},Kanal Uji\n"
        "domain,bpbd.jakarta.go.id,BPBD DKI\n",
        encoding="utf-8",
    )
    code, out, _ = saring(capsys, "sources", "import", str(path))
    assert (code, out.strip()) == (0, "imported 2 source(s); 0 already present")
    _, out, _ = saring(capsys, "sources", "export")
    assert out.startswith("kind,value,name\n")
    assert f"telegram_channel,{CHANNEL_ID},Kanal Uji" in out
    assert "domain,bpbd.jakarta.go.id,BPBD DKI" in out


def test_when_an_import_has_a_bad_row_then_nothing_is_written(capsys, tmp_path) -> None:
    path = tmp_path / "sources.csv"
    path.write_text(
        "kind,value,name\ndomain,dishut.jakarta.go.id,Dishut\ntelegram_channel,@kanal,Kanal\n",
        encoding="utf-8",
    )
    code, _, err = saring(capsys, "sources", "import", str(path))
    assert code == 1
    assert f"{path}:3:" in err
    _, out, _ = saring(capsys, "sources", "list", "--kind", "domain")
    assert "dishut" not in out


def test_when_a_known_hoax_is_forwarded_reworded_then_the_reply_links_the_clarification(
    capsys,
) -> None:
    url = "https://jalahoaks.jakarta.go.id/gaji-dipotong"
    assert saring(capsys, "hoaxes", "add", CLAIM, "--clarification-url", url)[0] == 0
    reworded = (
        "Info dari grup sebelah!! mulai bulan depan gaji ASN pemprov DKI dipotong 10 persen "
        "buat membiayai pembangunan ibukota baru, surat edarannya sdh ditandatangani gubernur"
    )
    _, out, _ = saring(capsys, "check", "--json", reworded)
    result = json.loads(out)
    assert "known_hoax" in [f["rule"] for f in result["findings"]]
    assert result["known_hoax"]["clarification_url"] == url
    assert url in result["reply"]


def test_when_importing_hoaxes_twice_then_duplicates_are_counted_not_stored(
    capsys, tmp_path
) -> None:
    jsonl = tmp_path / "hoaxes.jsonl"
    jsonl.write_text(
        json.dumps({"text": CLAIM, "clarification_url": "https://jalahoaks.jakarta.go.id/a"})
        + "\n",
        encoding="utf-8",
    )
    csv_file = tmp_path / "hoaxes.csv"
    csv_file.write_text(f'text,clarification_url\n"{CLAIM.upper()}",\n', encoding="utf-8")
    assert saring(capsys, "hoaxes", "import", str(jsonl))[1].startswith("imported 1 claim(s)")
    code, out, _ = saring(capsys, "hoaxes", "import", str(csv_file))
    assert (code, out.strip()) == (0, "imported 0 claim(s); 1 already known")
    _, out, _ = saring(capsys, "hoaxes", "list")
    assert len(out.strip().splitlines()) == 1


def test_when_the_database_url_is_malformed_then_the_setting_is_named(capsys, monkeypatch) -> None:
    monkeypatch.setenv("SARING_DATABASE_URL", "mysql://nope")
    code, _, err = saring(capsys, "db", "upgrade")
    assert code == 1
    assert "SARING_DATABASE_URL" in err


def test_when_the_seed_file_is_applied_then_the_portal_is_official(capsys) -> None:
    text = "Pengumuman resmi seleksi PPPK: https://bkd.jakarta.go.id/pengumuman"
    _, out, _ = saring(capsys, "check", "--json", text)
    result = json.loads(out)
    assert result["verdict"] == "ok"
    assert result["sources"][1]["status"] == "official"


def test_when_examples_are_checked_then_each_gets_a_verdict(capsys) -> None:
    examples = sorted((Path(__file__).parents[2] / "examples").glob("*.txt"))
    assert len(examples) >= 8
    for example in examples:
        code, out, err = saring(capsys, "check", example.read_text(encoding="utf-8"))
        assert code == 0, (example.name, err)
        assert out.split("\n", 1)[0] in {
            "🟢 AMAN DIBAGIKAN",
            "🟡 PERLU VERIFIKASI (tahan dulu)",
            "🔴 JANGAN DISEBARKAN",
        }


def test_when_the_roster_is_imported_then_officials_status_lists_who_cannot_be_alerted(
    capsys, tmp_path
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "nip,name,unit_code,unit_name,role,telegram_user_id\n"
        "197502022000031002,Sari Kepala,BKD,Badan Kepegawaian Daerah,unit_head,5001\n"
        "196803031995031003,Rina PPK,BKD,Badan Kepegawaian Daerah,ppk,\n"
        "198501012010011001,Budi ASN,BKD,Badan Kepegawaian Daerah,asn,\n",
        encoding="utf-8",
    )
    code, out, _ = saring(capsys, "roster", "import", str(roster))
    assert (code, out.strip()) == (0, "roster: 3 added, 0 updated, 0 unchanged")
    code, out, _ = saring(capsys, "officials", "status")
    lines = out.strip().splitlines()
    assert code == 0
    assert "unit_head\tBKD\tSari Kepala\t5001\tnever started" in lines
    assert "ppk\tBKD\tRina PPK\t-\tnot linked" in lines
    assert lines[-1] == "2 official(s), 2 cannot be alerted directly"


def test_when_a_roster_row_is_invalid_then_nothing_is_imported(capsys, tmp_path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "nip,name,unit_code,unit_name,role,telegram_user_id\n"
        "197502022000031002,Sari Kepala,BKD,BKD,kepala,5001\n"
        "12345,Budi,BKD,BKD,asn,777000\n",
        encoding="utf-8",
    )
    code, _, err = saring(capsys, "roster", "import", str(roster))
    assert code == 1
    assert ":2: role 'kepala'" in err and ":3: nip '12345'" in err
