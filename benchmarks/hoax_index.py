"""How HoaxIndex.match scales with the size of the hoax database, against a linear scan.

Claims are synthetic Indonesian-like chain messages assembled from word templates (seeded, so
runs are comparable). Queries are forwarded variants of claims among the first 1,000 (so the
same queries are valid at every size): typos, a dropped and an added word, a chain header and
footer; long queries bury the claim in filler paragraphs up to 4,096 characters. Negatives talk
about the same topics without repeating any claim.

Run: .venv/bin/python benchmarks/hoax_index.py
"""

from __future__ import annotations

import gc
import itertools
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.checking.hoaxes import HoaxClaim, HoaxIndex

SEED = 20240917
SIZES = (1_000, 10_000, 50_000)
QUERIES = 400
BASELINE_QUERIES = {300: 40, 4096: 10}

SUBJECTS = [
    "pemerintah",
    "menteri keuangan",
    "gubernur",
    "presiden",
    "bkn",
    "bpjs kesehatan",
    "kementerian sosial",
    "dinas kesehatan",
    "pihak bank",
    "polisi",
    "kemenpan rb",
    "pemprov",
    "who",
    "bmkg",
    "pln",
    "pertamina",
    "kemendagri",
    "walikota",
    "dukcapil",
]
VERBS = [
    "akan memotong",
    "menghapus",
    "membagikan",
    "mewajibkan",
    "melarang",
    "menaikkan",
    "membekukan",
    "menarik kembali",
    "menyita",
    "menunda",
    "mencairkan",
    "membatalkan",
    "memblokir",
    "mengganti",
    "menggratiskan",
    "menyebarkan",
    "menyembunyikan",
]
OBJECTS = [
    "gaji pns",
    "tunjangan kinerja",
    "dana bansos",
    "kartu bpjs",
    "vaksin booster",
    "subsidi listrik",
    "bantuan sembako",
    "e ktp",
    "rekening nasabah",
    "kuota internet",
    "pensiun asn",
    "tabungan haji",
    "sertifikat tanah",
    "beasiswa pelajar",
    "bbm subsidi",
    "kartu prakerja",
    "data pribadi",
    "uang pecahan",
    "gas elpiji",
    "air pam",
]
PLACES = [
    "jakarta",
    "bekasi",
    "depok",
    "bogor",
    "tangerang",
    "jakarta utara",
    "cilincing",
    "tanah abang",
    "kebayoran",
    "cengkareng",
    "pulogadung",
    "kalideres",
    "bandung",
    "surabaya",
    "semarang",
    "menteng",
    "cakung",
    "kemayoran",
    "koja",
    "ciracas",
]
WHEN = [
    "mulai bulan depan",
    "besok pagi",
    "minggu ini",
    "sebelum lebaran",
    "akhir tahun",
    "mulai 1 januari",
    "pekan depan",
    "malam ini",
    "hari senin",
    "tanpa pemberitahuan",
]
REASONS = [
    "untuk membayar utang negara",
    "karena kas daerah kosong",
    "atas perintah pusat",
    "karena ada chip pelacak",
    "demi proyek ibu kota baru",
    "akibat kebocoran data",
    "karena gempa susulan",
    "akibat penculikan anak",
    "untuk menutupi korupsi",
    "karena virus baru menyebar",
    "atas desakan asing",
    "karena server diretas",
]
EXTRAS = [
    "warga diminta segera",
    "jangan lupa",
    "para orang tua harap",
    "semua asn wajib",
    "masyarakat dihimbau",
    "segera cek dan",
    "tolong bantu",
    "bapak ibu diminta",
]
ACTIONS = [
    "mengambil uang di atm",
    "menyimpan dokumen",
    "mengosongkan rekening",
    "mengungsi ke tempat tinggi",
    "menjemput anak di sekolah",
    "menolak vaksin",
    "mendaftar lewat link",
    "mengirim foto ktp",
    "menimbun beras",
    "mematikan ponsel",
]
HEADERS = [
    "Info dari grup sebelah, sebarkan!!",
    "Forwarded many times",
    "PENTING!!! Dari grup RT",
    "Copas dari grup alumni:",
    "Mohon maaf sekadar info",
    "🚨🚨 BREAKING 🚨🚨",
]
FOOTERS = [
    "Sebarkan sebelum dihapus!!",
    "Semoga bermanfaat 🙏",
    "Share ke keluarga kalian",
    "Jangan berhenti di kamu ya",
    "Sumber: orang dalam",
    "Amin 🙏🙏",
]
FILLER = [
    "rapat koordinasi membahas",
    "laporan kegiatan mingguan tentang",
    "undangan acara",
    "jadwal piket kantor untuk",
    "evaluasi program kerja",
    "pengumuman lomba",
    "catatan",
]


SYLLABLES = [
    "ba",
    "ka",
    "sa",
    "ti",
    "ru",
    "no",
    "me",
    "lang",
    "dar",
    "wi",
    "jo",
    "su",
    "tan",
    "ha",
    "gu",
    "ri",
    "pra",
    "mo",
    "ni",
    "bang",
    "de",
    "lu",
    "ci",
    "ar",
    "yo",
    "ma",
]


def make_lexicon(rng: random.Random, size: int = 30_000) -> tuple[list[str], list[float]]:
    """Pseudo-Indonesian names (people, places, products) with Zipfian weights, as in real text."""
    words = ["".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(size)]
    return words, list(itertools.accumulate(1 / rank for rank in range(1, size + 1)))


def _name(rng: random.Random, lexicon: tuple[list[str], list[float]]) -> str:
    return rng.choices(lexicon[0], cum_weights=lexicon[1])[0]


def _number(rng: random.Random) -> str:
    return str(rng.choice([rng.randint(2, 99), rng.randint(100, 9_999)]))


def make_claim(rng: random.Random, lexicon: tuple[list[str], list[float]]) -> str:
    def name() -> str:
        return _name(rng, lexicon)

    first = (
        f"{rng.choice(SUBJECTS)} {name()} {rng.choice(VERBS)} {rng.choice(OBJECTS)} sebesar "
        f"{_number(rng)} persen di {rng.choice(PLACES)} {name()} {rng.choice(WHEN)} "
        f"{rng.choice(REASONS)}"
    )
    second = (
        f"{rng.choice(EXTRAS)} {rng.choice(ACTIONS)} {name()} sebelum {rng.choice(WHEN)} "
        f"karena {rng.choice(OBJECTS)} {name()} di {rng.choice(PLACES)} "
        f"{rng.choice(REASONS)}"
    )
    return f"{first.capitalize()}. {second.capitalize()}!"


def make_topic_message(rng: random.Random) -> str:
    """Same vocabulary and topics as the claims, none of them repeated."""
    return (
        f"Klarifikasi: {rng.choice(SUBJECTS)} menegaskan {rng.choice(OBJECTS)} tidak "
        f"{rng.choice(VERBS)}. Informasi soal {rng.choice(OBJECTS)} di {rng.choice(PLACES)} "
        f"adalah hoaks, {rng.choice(EXTRAS)} cek situs resmi {rng.choice(SUBJECTS)}."
    )


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 6:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1 :]


def forward_variant(claim: str, rng: random.Random) -> str:
    words = claim.split()
    words[rng.randrange(len(words))] = _typo(words[rng.randrange(len(words))], rng)
    del words[rng.randrange(len(words))]
    words.insert(rng.randrange(len(words)), rng.choice(["banget", "lho", "katanya", "bro"]))
    body = " ".join(words).upper() if rng.random() < 0.3 else " ".join(words)
    return f"{rng.choice(HEADERS)}\n\n{body}\n\n{rng.choice(FOOTERS)}"


def pad(message: str, length: int, rng: random.Random) -> str:
    """Bury `message` among filler paragraphs until it is `length` characters long."""
    before, after = [], []
    while len(message) + sum(map(len, before + after)) < length:
        paragraph = (
            f"{rng.choice(FILLER)} {rng.choice(OBJECTS)} di {rng.choice(PLACES)} "
            f"{rng.choice(WHEN)} nomor {_number(rng)}.\n"
        )
        (before if rng.random() < 0.5 else after).append(paragraph)
    return ("".join(before) + message + "\n" + "".join(after))[:length]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(fn: Callable[[str], object], queries: list[str]) -> tuple[list[float], list[object]]:
    samples, answers = [], []
    for query in queries:
        start = time.perf_counter()
        answers.append(fn(query))
        samples.append(time.perf_counter() - start)
    return samples, answers


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 1e6


def build_queries(rng: random.Random, claims: list[HoaxClaim]) -> dict[int, list[tuple]]:
    targets = [claims[rng.randrange(1_000)] for _ in range(QUERIES)]
    queries: dict[int, list[tuple]] = {300: [], 4096: []}
    for claim in targets:
        queries[300].append((claim.id, forward_variant(claim.text, rng)[:300]))
        queries[4096].append((claim.id, pad(forward_variant(claim.text, rng), 4096, rng)))
    negatives = [make_topic_message(rng) for _ in range(QUERIES)]
    queries[300] += [(None, pad(text, 300, rng)) for text in negatives]
    queries[4096] += [(None, pad(text, 4096, rng)) for text in negatives]
    return queries


def accuracy(expected: list[int | None], answers: list[object]) -> tuple[float, float]:
    """(share of positives matched to the right claim, share of negatives matched at all)."""
    got = [getattr(a, "hoax_id", None) for a in answers]
    pos = [g == e for e, g in zip(expected, got, strict=True) if e is not None]
    neg = [g is not None for e, g in zip(expected, got, strict=True) if e is None]
    return sum(pos) / len(pos), sum(neg) / len(neg)


def main() -> None:
    rng = random.Random(SEED)
    lexicon = make_lexicon(rng)
    claims = [
        HoaxClaim(i, make_claim(rng, lexicon), f"https://example.go.id/k/{i}")
        for i in range(SIZES[-1])
    ]
    print(f"mean claim length: {statistics.mean(len(c.text) for c in claims):.0f} chars")
    queries = build_queries(rng, claims)
    p50s: dict[tuple[int, int], float] = {}
    for size in SIZES:
        rss_before = rss_mb()
        start = time.perf_counter()
        index = HoaxIndex(claims[:size])
        build = time.perf_counter() - start
        gc.collect()  # a long-running bot builds once; do not bill that garbage to match()
        print(f"\n== {size:,} claims: build {build:.2f} s, +{rss_mb() - rss_before:.0f} MB RSS")
        for length, pairs in queries.items():
            texts = [text for _, text in pairs]
            index.match(texts[0])  # warm-up
            samples, answers = timed(index.match, texts)
            hit, false_pos = accuracy([e for e, _ in pairs], answers)
            p50s[size, length] = percentile(samples, 0.5)
            print(
                f"  index    {length:>5} chars: p50 {p50s[size, length] * 1e6:8.1f} µs  "
                f"p99 {percentile(samples, 0.99) * 1e6:8.1f} µs  "
                f"recall {hit:.3f}  false positives {false_pos:.3f}"
            )
            baseline(claims[:size], pairs, length, p50s[size, length])
        del index
    for length in (300, 4096):
        ratio = p50s[SIZES[-1], length] / p50s[SIZES[0], length]
        print(f"growth 1k -> 50k, {length} chars: p50 x{ratio:.2f}")


def baseline(claims: list[HoaxClaim], pairs: list[tuple], length: int, index_p50: float) -> None:
    """Linear scan with token_set_ratio over every claim, on a subset of the same queries."""
    count = BASELINE_QUERIES[length]
    subset = pairs[: count // 2] + pairs[len(pairs) // 2 : len(pairs) // 2 + count // 2]
    texts = [claim.text for claim in claims]

    def scan(text: str) -> int:
        best = process.extractOne(text, texts, scorer=fuzz.token_set_ratio)
        return claims[best[2]].id

    samples, answers = timed(scan, [text for _, text in subset])
    top1 = sum(a == e for (e, _), a in zip(subset, answers, strict=True) if e is not None)
    p50 = percentile(samples, 0.5)
    print(
        f"  baseline {length:>5} chars: p50 {p50 * 1e6:8.1f} µs  ({count} queries, "
        f"top-1 right on {top1}/{count // 2} positives)  baseline/index x{p50 / index_p50:,.0f}"
    )


if __name__ == "__main__":
    main()
