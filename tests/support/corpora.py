"""Seeded corpora shared by the evasion tests (P14) and the engine benchmark (B1).

Everything here is generated from `config/rules.yaml` and from templates written for this
project, never from the outside datasets in `shared/data` (their licenses allow measuring,
not copying). A fixed seed gives the same corpus on every run, so a failure can be replayed.

Violating items embed a rule's *strong* phrases (a phrase whose score alone reaches the rule
threshold) in chat-like sentences that carry no context word, so the clean text must fire the
rule; the transformations then disguise only what an evader would disguise.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

__all__ = [
    "TRANSFORMS",
    "Seed",
    "Transformed",
    "adversarial_corpus",
    "benign_messages",
    "context_words",
    "embed",
    "strong_phrases",
    "violating_seeds",
]

Transform = Callable[[str, random.Random], str]

_ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
_SOFT_HYPHEN = "\u00ad"
# Latin letter -> visually identical Cyrillic or Greek letters.
_HOMOGLYPHS: dict[str, str] = {
    "a": "аα", "c": "с", "e": "е", "i": "іι", "j": "ј", "k": "κ", "o": "оο", "p": "рρ",
    "s": "ѕ", "x": "хχ", "y": "уγ", "v": "ν", "h": "һ", "A": "АΑ", "B": "ВΒ", "E": "ЕΕ",
    "H": "НΗ", "K": "КΚ", "M": "МΜ", "O": "ОΟ", "P": "РΡ", "T": "ТΤ", "X": "ХΧ",
}  # fmt: skip
_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "g": "9", "b": "8"}
_PUNCT = (".", "-", "*", "_", "'")


def _inside_words(text: str, rng: random.Random, insert: Callable[[], str], p: float) -> str:
    """Insert a character between two letters of a word, never at a word edge."""
    out: list[str] = []
    for i, ch in enumerate(text):
        out.append(ch)
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if ch.isalnum() and nxt.isalnum() and rng.random() < p:
            out.append(insert())
    return "".join(out)


def zero_width(text: str, rng: random.Random) -> str:
    return _inside_words(text, rng, lambda: rng.choice(_ZERO_WIDTH), 0.5)


def soft_hyphen(text: str, rng: random.Random) -> str:
    return _inside_words(text, rng, lambda: _SOFT_HYPHEN, 0.5)


def homoglyph(text: str, rng: random.Random) -> str:
    return "".join(
        rng.choice(_HOMOGLYPHS[c]) if c in _HOMOGLYPHS and rng.random() < 0.7 else c for c in text
    )


def fullwidth(text: str, rng: random.Random) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def leetspeak(text: str, rng: random.Random) -> str:
    """Swap letters for digits, keeping at least one letter per word.

    A word written only in digits ("7070" for "toto") is a number to any reader, and to
    the normalizer, which must leave "2026" and "08123456789" alone.
    """
    return " ".join(_leet_word(word, rng) for word in text.split(" "))


def _leet_word(word: str, rng: random.Random) -> str:
    chars = [_LEET[c.lower()] if c.lower() in _LEET and rng.random() < 0.7 else c for c in word]
    if any(c.isalpha() for c in word) and not any(c.isalpha() for c in chars):
        keep = rng.choice([i for i, c in enumerate(word) if c.isalpha()])
        chars[keep] = word[keep]
    return "".join(chars)


def spacing(text: str, rng: random.Random) -> str:
    """`slot gacor` -> `s l o t  g a c o r`: letters spaced out, words kept two spaces apart."""
    return "  ".join(" ".join(word) for word in text.split())


def punctuation(text: str, rng: random.Random) -> str:
    """`judi bola` -> `j.u.d.i b.o.l.a`: one punctuation mark between the letters of each word."""
    return " ".join(rng.choice(_PUNCT).join(word) for word in text.split())


def random_case(text: str, rng: random.Random) -> str:
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in text)


TRANSFORMS: dict[str, Transform] = {
    "zero_width": zero_width,
    "soft_hyphen": soft_hyphen,
    "homoglyph": homoglyph,
    "fullwidth": fullwidth,
    "leetspeak": leetspeak,
    "spacing": spacing,
    "punctuation": punctuation,
    "case": random_case,
}
# Evaders space out or punctuate the keyword, not the whole message.
PHRASE_ONLY = frozenset({"spacing", "punctuation"})

# One phrase slot; chat-like, no warning or reporting words.
TEMPLATES_ONE: tuple[str, ...] = (
    "{0}",
    "Bro cek ini {0} mantap banget",
    "gaes {0} ya, buruan sebelum kehabisan",
    "Assalamualaikum, {0} nih, jangan lupa ajak teman",
    "{0}!!! kirim ke grup sebelah juga",
    "Pagi semua. {0}. Sudah pada tahu belum?",
    "Ini dia yang ditunggu: {0} 🔥🔥",
    "kata teman kantor {0}, gimana menurut kalian?",
    "Cuma mau bilang {0}, itu saja",
    "Mas, {0} kan? kabari ya",
)
# Two slots, for all_of detectors.
TEMPLATES_TWO: tuple[str, ...] = (
    "{0}. Kalau tidak, {1}",
    "Info dari grup: {0}, terus {1}",
    "{0} ya gaes, {1} 🙏",
)


@dataclass(frozen=True, slots=True)
class Seed:
    """A clean violating text, the phrases embedded in it and the rule it must fire."""

    rule: str
    template: str
    phrases: tuple[str, ...]

    @property
    def text(self) -> str:
        return self.template.format(*self.phrases)


@dataclass(frozen=True, slots=True)
class Transformed:
    seed: Seed
    transform: str
    text: str


def _load_rules(config_dir: Path) -> list[dict]:
    data = yaml.safe_load((config_dir / "rules.yaml").read_text(encoding="utf-8"))
    return list(data["rules"])


def context_words(config_dir: Path) -> dict[str, set[str]]:
    """Context words per rule id (shared ones included where the rule uses them)."""
    data = yaml.safe_load((config_dir / "rules.yaml").read_text(encoding="utf-8"))
    shared = set((data.get("shared_context") or {}).get("lowers", []))
    out: dict[str, set[str]] = {}
    for rule in data["rules"]:
        own = set((rule.get("context") or {}).get("lowers", []))
        out[rule["id"]] = own | (shared if rule.get("use_shared_context", True) else set())
    return out


def strong_phrases(config_dir: Path) -> dict[str, list[tuple[str, ...]]]:
    """Per rule, phrase tuples that alone reach the rule threshold (1 phrase, or 1 per group)."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for rule in _load_rules(config_dir):
        threshold = rule.get("threshold", 0.5)
        combos: list[tuple[str, ...]] = []
        for det in rule["detectors"]:
            if det["kind"] == "phrases" and det["score"] >= threshold:
                combos.extend((p,) for p in det["phrases"])
            elif det["kind"] == "all_of" and det["score"] >= threshold:
                groups = det["groups"]
                longest = max(len(g) for g in groups)
                combos.extend(tuple(g[i % len(g)] for g in groups) for i in range(longest))
        if combos:
            out[rule["id"]] = combos
    return out


def _template(rng: random.Random, slots: int) -> str:
    if slots == 1:
        return rng.choice(TEMPLATES_ONE)
    if slots == 2:
        return rng.choice(TEMPLATES_TWO)
    return ", ".join(f"{{{i}}}" for i in range(slots))


def _has_word(text: str, words: set[str]) -> bool:
    low = f" {re.sub(r'[^0-9a-z]+', ' ', text.lower())} "
    return any(f" {w.lower()} " in low for w in words)


def violating_seeds(config_dir: Path, per_rule: int, seed: int = 137) -> list[Seed]:
    """Up to `per_rule` seeds per rule, cycling through its strong phrases and templates.

    Phrases that contain one of the rule's own context words are skipped: the engine is
    right not to fire on them, so they would measure nothing.
    """
    rng = random.Random(seed)
    context = context_words(config_dir)
    seeds: list[Seed] = []
    for rule, combos in sorted(strong_phrases(config_dir).items()):
        usable = [c for c in combos if not _has_word(" ".join(c), context.get(rule, set()))]
        rng.shuffle(usable)
        for i in range(min(per_rule, 3 * len(usable))):
            phrases = usable[i % len(usable)]
            seeds.append(Seed(rule, _template(rng, len(phrases)), phrases))
    return seeds


def embed(seed: Seed, name: str, rng: random.Random, whole: bool) -> str:
    """Apply one transformation to the phrases of `seed`, or to the whole text if `whole`."""
    transform = TRANSFORMS[name]
    if whole and name not in PHRASE_ONLY:
        return transform(seed.text, rng)
    return seed.template.format(*(transform(p, rng) for p in seed.phrases))


def adversarial_corpus(seeds: list[Seed], seed: int = 79) -> Iterator[Transformed]:
    """Every seed under each of the 8 transformations (half of them applied to the whole text)."""
    rng = random.Random(seed)
    for s in seeds:
        for name in TRANSFORMS:
            yield Transformed(s, name, embed(s, name, rng, whole=rng.random() < 0.5))


# --- Benign corpus -------------------------------------------------------------------------
# What ASN receive every day and must be able to share: press releases, announcements, news,
# invitations, greetings, condolences, weather and traffic. About a third mention a sensitive
# topic the way officials do: as a warning, a report, a prevention programme or a debunk.

_UNITS = (
    "Dinas Kesehatan", "Dinas Perhubungan", "BPBD DKI Jakarta", "Satpol PP", "Dinas Pendidikan",
    "Bapenda", "Diskominfotik", "BKD", "Inspektorat", "Dinas Sosial", "Dinas Bina Marga",
    "Dinas Lingkungan Hidup", "Dinas Sumber Daya Air", "Dukcapil", "Dinas Pariwisata",
    "Biro Umum", "Suku Dinas Kesehatan Jakarta Timur", "Kelurahan Cempaka Putih Timur",
)  # fmt: skip
_PLACES = (
    "Jakarta Pusat", "Jakarta Utara", "Jakarta Barat", "Jakarta Selatan", "Jakarta Timur",
    "Kepulauan Seribu", "Kebayoran Baru", "Cengkareng", "Tanjung Priok", "Pulo Gadung",
    "Tanah Abang", "Kemayoran", "Pasar Minggu", "Kalideres", "Cilincing", "Menteng",
)  # fmt: skip
_ROADS = (
    "Jl. Jenderal Sudirman", "Jl. M.H. Thamrin", "Jl. Gatot Subroto", "Jl. Rasuna Said",
    "Jl. Daan Mogot", "Jl. Casablanca", "Jl. Pramuka", "Jl. Ahmad Yani", "Tol Dalam Kota",
)  # fmt: skip
_DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember")  # fmt: skip
_PROGRAMS = (
    "vaksinasi polio", "pemeriksaan kesehatan gratis", "uji emisi kendaraan",
    "pelatihan UMKM", "pendaftaran sekolah", "pembayaran PBB", "donor darah",
    "gerakan PSN 3M Plus", "penanaman pohon", "bazar murah", "operasi pasar beras",
)  # fmt: skip
_ROLES = ("Kepala Dinas", "Sekretaris Daerah", "Wali Kota", "Camat", "Lurah", "Kepala Badan",
          "Plt. Kepala Dinas", "Asisten Pemerintahan")  # fmt: skip
_HOLIDAYS = ("Idul Fitri 1446 H", "Idul Adha", "Natal", "Tahun Baru", "Nyepi", "Waisak",
             "Imlek", "Tahun Baru Islam", "Maulid Nabi Muhammad SAW", "Kenaikan Isa Almasih",
             "Hari Kemerdekaan RI ke-80", "Hari Jadi Kota Jakarta")  # fmt: skip
_WEATHER = ("hujan ringan", "hujan sedang hingga lebat disertai petir", "cerah berawan",
            "berawan", "angin kencang", "gelombang tinggi di Kepulauan Seribu")  # fmt: skip
_NAMES = ("Bapak Sutrisno", "Ibu Wahyuni", "Bapak Haryanto", "Ibu Siti Aminah", "Bapak Yohanes",
          "Ibu Made Ayu", "Bapak Lim Kok Wei", "Ibu Rahmawati")  # fmt: skip
_URLS = ("https://jakarta.go.id", "https://ppid.jakarta.go.id", "https://dinkes.jakarta.go.id",
         "https://bpbd.jakarta.go.id", "https://dishub.jakarta.go.id")  # fmt: skip

# Sensitive topics as officials and newsrooms write about them.
_WARNINGS = (
    "Waspada penipuan yang mengatasnamakan {unit}. {unit} tidak pernah meminta transfer dana.",
    "Sosialisasi pencegahan judi online bagi ASN akan dilaksanakan {day} di {place}.",
    "Polda Metro Jaya mengungkap jaringan judi online dan menetapkan 12 tersangka di {place}.",
    "Seminar Bahaya Radikalisme dan Terorisme bagi Generasi Muda, {day} pukul {hour}.00 WIB.",
    "Klarifikasi: kabar pemadaman listrik total di {place} adalah hoaks. Cek informasi resmi.",
    "Imbauan menjaga netralitas ASN menjelang Pilkada. Laporkan pelanggaran ke Bawaslu.",
    "Laporkan konten pornografi dan perjudian melalui aduankonten.id.",
    "Jangan sebarkan data pribadi seperti NIK dan nomor KK di media sosial.",
    "Kegiatan doa bersama lintas agama untuk menjaga kerukunan umat beragama di {place}.",
    "{unit} menggelar diskusi pencegahan intoleransi dan ujaran kebencian di sekolah.",
    "BNN dan {unit} menggelar tes urine narkoba bagi pegawai pada hari {day}.",
    "Satgas Pemberantasan Judi Online menutup ribuan situs slot pada bulan {month}.",
    "Hati-hati modus penipuan undian berhadiah lewat WhatsApp. Abaikan pesan tersebut.",
    "Terdakwa kasus pencemaran nama baik divonis 6 bulan penjara oleh PN {place}.",
    "Pemerintah menegaskan informasi tentang kenaikan tarif Transjakarta belum resmi; "
    "tunggu pengumuman {unit}.",
)  # fmt: skip

_TEMPLATES: tuple[str, ...] = (
    # press releases
    "SIARAN PERS\n{unit} Provinsi DKI Jakarta\n\n{role} meninjau pelaksanaan {program} di "
    "{place} pada hari {day}, {date}. Kegiatan ini diikuti oleh {n} warga. Informasi lebih "
    "lanjut: {url}",
    "Jakarta, {date} — {unit} kembali membuka layanan {program} di {place}. Warga cukup "
    "membawa KTP. Layanan buka pukul {hour}.00 s.d. 15.00 WIB.",
    "Pemprov DKI Jakarta melalui {unit} menyalurkan bantuan kepada {n} keluarga terdampak "
    "banjir di {place}. Penyaluran dilakukan secara bertahap.",
    # announcements
    "PENGUMUMAN\nDiberitahukan kepada seluruh pegawai {unit} bahwa apel pagi hari {day} "
    "dilaksanakan pukul 07.30 WIB di halaman Balai Kota. Mohon hadir tepat waktu.",
    "Yth. Bapak/Ibu ASN, batas akhir pengisian LHKPN adalah {date}. Mohon segera melengkapi. "
    "Terima kasih.",
    "Info layanan: {program} di kantor {unit} {place} ditiadakan sementara pada {date}. "
    "Mohon dibantu disebarluaskan.",
    # news
    "Hujan deras sejak pagi menyebabkan genangan setinggi {cm} cm di {road}, {place}. "
    "Petugas {unit} sudah dikerahkan untuk menyedot air.",
    "Harga cabai di pasar {place} turun menjadi Rp{price}.000 per kilogram pekan ini.",
    "{role} {place} meresmikan taman baru seluas {n} meter persegi pada hari {day}.",
    # meeting invitations
    "Undangan Rapat\nHari/tanggal: {day}, {date}\nPukul: {hour}.00 WIB\nTempat: Ruang Rapat "
    "{unit}\nAcara: Koordinasi {program}\nMohon kehadiran Bapak/Ibu tepat waktu.",
    "Mengharap kehadiran Bapak/Ibu dalam rapat evaluasi {program} secara daring via Zoom, "
    "{day} pukul {hour}.00 WIB. Tautan menyusul.",
    # greetings
    "Keluarga besar {unit} mengucapkan Selamat Hari Raya {holiday}. Mohon maaf lahir dan batin.",
    "Selamat merayakan {holiday} bagi Bapak/Ibu yang merayakan. Semoga damai dan sehat selalu.",
    "Jadwal imsakiyah dan salat wilayah {place} hari ini dapat dilihat di papan pengumuman masjid.",
    # condolences
    "Innalillahi wa inna ilaihi rajiun. Telah berpulang {name}, pegawai {unit}, pada {date}. "
    "Semoga almarhum/almarhumah diterima di sisi-Nya.",
    "Turut berduka cita yang sedalam-dalamnya atas wafatnya {name}. Semoga keluarga yang "
    "ditinggalkan diberi ketabahan.",
    # weather and traffic
    "Prakiraan cuaca BMKG untuk {place} hari {day}: {weather} pada siang hingga sore hari.",
    "Info lalu lintas pukul {hour}.15: arus di {road} padat merayap akibat perbaikan jalan. "
    "Gunakan jalur alternatif.",
    "Rekayasa lalu lintas di {road} berlaku mulai {date} selama pembangunan saluran air.",
)
_WARNING_FRAMES = ("{warning}", "Yth. Bapak/Ibu,\n{warning}\nInformasi resmi: {url}",
                   "[{unit}] {warning} Terima kasih.")  # fmt: skip
WARNING_SHARE = 0.25


_OPENERS = ("", "Fwd: ", "[Diteruskan] ", "Selamat pagi Bapak/Ibu.\n", "Info terkini: ",
            "Assalamualaikum wr. wb.\n", "Salam sejahtera.\n")  # fmt: skip
_CLOSERS = ("", " Terima kasih.", "\n\nSalam,\n{unit}", " 🙏", "\n— Humas {unit}",
            "\nInfo: {url}", " #JakartaKotaKolaborasi")  # fmt: skip


def benign_messages(count: int, seed: int = 2019) -> list[str]:
    """`count` distinct benign messages; the same list for the same seed."""
    rng = random.Random(seed)
    out: dict[str, None] = {}
    while len(out) < count:
        values = _benign_values(rng)
        frames = _WARNING_FRAMES if rng.random() < WARNING_SHARE else _TEMPLATES
        body = rng.choice(frames).format(**values)
        text = rng.choice(_OPENERS) + body + rng.choice(_CLOSERS).format(**values)
        out[text] = None
    return list(out)


def _benign_values(rng: random.Random) -> dict[str, object]:
    values: dict[str, object] = {
        "unit": rng.choice(_UNITS),
        "place": rng.choice(_PLACES),
        "road": rng.choice(_ROADS),
        "day": rng.choice(_DAYS),
        "month": rng.choice(_MONTHS),
        "date": f"{rng.randint(1, 28)} {rng.choice(_MONTHS)} 2025",
        "hour": f"{rng.randint(7, 16):02d}",
        "n": rng.randint(20, 2500),
        "cm": rng.randint(10, 60),
        "price": rng.randint(20, 90),
        "program": rng.choice(_PROGRAMS),
        "role": rng.choice(_ROLES),
        "holiday": rng.choice(_HOLIDAYS),
        "weather": rng.choice(_WEATHER),
        "name": rng.choice(_NAMES),
        "url": rng.choice(_URLS),
    }
    values["warning"] = rng.choice(_WARNINGS).format(**values)
    return values
