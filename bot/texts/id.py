"""Bahasa Indonesia: everything Saring says to people.

All user-facing wording lives here (and the per-rule reasons and guidance in
`config/rules.yaml`), so a language reviewer reads one file. Formal register, "Bapak/Ibu",
never accusatory: asking before sharing is what SE MenPANRB 137/2018 angka 6 asks of an ASN.
"""

from __future__ import annotations

VERDICT_LABELS = {
    "ok": "🟢 AMAN DIBAGIKAN",
    "unverified": "🟡 PERLU VERIFIKASI (tahan dulu)",
    "violation": "🔴 JANGAN DISEBARKAN",
}

ORIGIN_OFFICIAL = "Asal pesan: {name} — kanal resmi terdaftar."
ORIGIN_UNREGISTERED_CHANNEL = (
    "Asal pesan: {label} — tidak terdaftar sebagai sumber resmi (dicocokkan dengan ID kanal)."
)
ORIGIN_USER = "Asal pesan: diteruskan dari akun perorangan ({label}), bukan sumber resmi."
ORIGIN_UNVERIFIABLE = "Asal pesan tidak dapat dipastikan (salinan atau pengirim tersembunyi)."

LINK_OFFICIAL = "🔗 {host} — situs resmi ({name})."
LINK_LOOKALIKE = "🔗 {host} — MENIRU situs resmi {imitates}; jangan dibuka."
LINK_SHORTENED = "🔗 {host} — tautan pendek, tujuannya tidak dapat diverifikasi."
LINK_UNKNOWN = "🔗 {host} — bukan sumber resmi terdaftar."
LINK_TEXT_LINK = "   (tulisan tautan mengarah ke: {url})"
LINKS_MORE = "🔗 … dan {count} tautan lain."

FINDINGS_HEADER = "Alasan:"
FINDING_EVIDENCE = "   Bukti: {evidence}"
FINDING_CLAUSES = "   Dasar: {clauses}"
FINDINGS_MORE = "… dan {count} temuan lain (lihat detail)."

HOAX_MATCH = "📌 Pesan ini mirip dengan hoaks yang sudah diklarifikasi ({similarity})."
HOAX_CLARIFICATION = "   Klarifikasi: {url}"
HOAX_DATE = "   Dicatat sejak: {date}"

THANKS_VIOLATION = (
    "Terima kasih, Bapak/Ibu sudah memeriksa sebelum membagikan — itulah yang diminta "
    "SE MenPANRB 137/2018 angka 6."
)
ACTION_OK = "Silakan bagikan. Sumber resmi: {sources}."
ACTION_UNVERIFIED = (
    "Mohon tahan dulu. Informasi resmi Pemprov DKI Jakarta diumumkan di jakarta.go.id dan "
    "kanal resmi perangkat daerah. Bila ragu, tanyakan ke layanan Jala Hoaks "
    "(jalahoaks.jakarta.go.id)."
)
ACTION_ASK = "Bila ragu, tanyakan ke layanan Jala Hoaks Diskominfotik (jalahoaks.jakarta.go.id)."

FOOTER = "Ref: {reference} · {time} WIB"

# --- Telegram bot: commands and notices ------------------------------------------------------

COMMANDS_MENU = {
    "cek": "Periksa pesan (balas pesan dengan /cek)",
    "sumber": "Cari sumber resmi: /sumber KATA",
    "daftar": "Hubungkan akun dengan NIP: /daftar NIP",
    "privasi": "Data apa yang disimpan Saring",
    "dataku": "Unduh data Bapak/Ibu yang disimpan Saring",
    "hapusdataku": "Hapus data Bapak/Ibu dari Saring",
    "bantuan": "Cara memakai Saring",
}

START = (
    "Selamat datang di Saring — saring sebelum sharing.\n\n"
    "Sebelum membagikan pesan ke grup, teruskan (forward) atau tempel pesan itu ke sini. "
    "Saring memeriksa sumbernya terhadap daftar sumber resmi Diskominfotik dan memeriksa "
    "isinya terhadap SE MenPANRB 137/2018 dan SE Sekda DKI 79/SE/2019, lalu memberi saran: "
    "🟢 aman dibagikan, 🟡 perlu verifikasi, atau 🔴 jangan disebarkan.\n\n"
    "Yang disimpan: untuk setiap pemeriksaan hanya sidik (hash) isi pesan, hasil, jenis "
    "temuan, akun Bapak/Ibu dan waktunya — bukan teks pesannya. Data ini dihapus otomatis "
    "setelah {retention_days} hari. Ketik /privasi untuk rinciannya."
)
HELP = (
    "Cara memakai Saring:\n"
    "• Teruskan pesan (atau tempel teksnya) ke sini, Saring langsung menjawab.\n"
    "• Di grup: balas pesan dengan /cek, atau sebut @{bot_username}.\n"
    "• /sumber KATA — cari kanal atau situs resmi.\n"
    "• /daftar NIP — hubungkan akun Telegram dengan data kepegawaian.\n"
    "• /privasi, /dataku, /hapusdataku — data Bapak/Ibu.\n"
    'Tombol "Deteksi keliru" di bawah jawaban membantu kami memperbaiki aturan.'
)
PRIVACY = (
    "Privasi di Saring (UU No. 27 Tahun 2022 tentang Pelindungan Data Pribadi):\n"
    "• Untuk setiap pemeriksaan disimpan: sidik (hash) isi pesan, hasil, jenis temuan, ID "
    "akun Telegram, dan waktu. Teks pesan tidak disimpan.\n"
    "• Teks hanya disimpan bila pesan dilaporkan sebagai dugaan pelanggaran, untuk "
    "penanganan oleh pimpinan dan PPK.\n"
    "• Data dihapus otomatis setelah {retention_days} hari.\n"
    "• NIK dan NIP selalu disamarkan dalam jawaban dan catatan sistem.\n"
    "• /dataku mengunduh data Bapak/Ibu; /hapusdataku menghapusnya."
)

CHECK_NEEDS_REPLY = "Balas (reply) pesan yang ingin diperiksa dengan /cek."
UNSUPPORTED_CONTENT = (
    "Saring hanya dapat memeriksa teks dan keterangan (caption). {kind} ini tidak memuat "
    "teks. Bila ada teks di dalam gambar atau berkas, mohon ketik atau tempel teksnya."
)
ALBUM_WITHOUT_TEXT = (
    "Album ini tidak memuat teks atau keterangan yang dapat diperiksa. Bila ada teks di "
    "dalam gambar, mohon ketik atau tempel teksnya."
)
ORIGINAL_GONE = "Pesan aslinya tidak tersedia lagi; mohon teruskan ulang pesannya."
FEEDBACK_THANKS = "Terima kasih, masukan Bapak/Ibu sudah dicatat dan akan ditinjau."
FEEDBACK_ALREADY = "Masukan untuk pemeriksaan ini sudah tercatat. Terima kasih."
BUTTON_EXPIRED = "Tombol ini tidak berlaku lagi."
NOT_YOURS = "Tombol ini milik pengguna lain."

REGISTER_USAGE = "Gunakan: /daftar NIP (18 angka), misalnya /daftar 198501012010011001."
REGISTER_INVALID = "NIP tersebut tidak valid. Mohon periksa kembali 18 angkanya."
REGISTER_LINKED = "Terima kasih, akun Telegram Bapak/Ibu sudah terhubung dengan NIP {nip}."
REGISTER_SAME = "Akun Bapak/Ibu sudah terhubung dengan NIP {nip}."
REGISTER_UNKNOWN = (
    "NIP {nip} belum ada dalam daftar pegawai Saring. Mohon hubungi admin Diskominfotik "
    "atau pengelola kepegawaian unit Bapak/Ibu."
)
REGISTER_TAKEN = (
    "NIP {nip} sudah terhubung dengan akun Telegram lain. Bila ini keliru, mohon hubungi "
    "admin Diskominfotik."
)
REGISTER_NEEDS_ADMIN = (
    "NIP {nip} terdaftar sebagai pejabat. Demi keamanan, akun pejabat dihubungkan oleh admin "
    "Diskominfotik; mohon hubungi admin."
)
REGISTER_OTHER = (
    "Akun Telegram ini sudah terhubung dengan NIP lain. Mohon hubungi admin Diskominfotik "
    "untuk mengubahnya."
)

SOURCES_USAGE = "Gunakan: /sumber KATA, misalnya /sumber bkd."
SOURCES_NONE = "Tidak ada sumber resmi yang cocok dengan “{word}”."
SOURCES_FOUND = "Sumber resmi yang cocok dengan “{word}”:"
SOURCE_LINE = "• {name} — {value}"

EXPORT_CAPTION = "Data Bapak/Ibu yang disimpan Saring (format JSON)."
DELETE_CONFIRM = (
    "Hapus semua riwayat pemeriksaan dan masukan Bapak/Ibu dari Saring? Tindakan ini tidak "
    "dapat dibatalkan."
)
DELETE_BUTTON = "Ya, hapus data saya"
DELETE_DONE = "Data Bapak/Ibu sudah dihapus: {checks} pemeriksaan dan {feedback} masukan."
DELETE_RETAINED = "Yang tetap disimpan beserta dasarnya:"

ADMIN_REFUSED = "Mohon maaf, perintah ini hanya untuk admin Diskominfotik. Percobaan ini dicatat."
ADMIN_SOURCE_USAGE = "Gunakan: /sumber_tambah JENIS NILAI [nama] — jenis: {kinds}."
ADMIN_SOURCE_REMOVE_USAGE = "Gunakan: /sumber_hapus JENIS NILAI."
ADMIN_SOURCE_ADDED = "Sumber resmi ditambahkan: {kind} {value} ({name})."
ADMIN_SOURCE_EXISTS = "Sumber {kind} {value} sudah terdaftar."
ADMIN_SOURCE_REMOVED = "Sumber {kind} {value} dihapus dari daftar resmi."
ADMIN_SOURCE_MISSING = "Sumber {kind} {value} tidak ada dalam daftar."
ADMIN_INVALID = "Masukan tidak valid: {problem}"
ADMIN_HOAX_USAGE = (
    "Balas pesan hoaks dengan /hoaks_tambah TAUTAN_KLARIFIKASI, misalnya "
    "/hoaks_tambah https://jalahoaks.jakarta.go.id/..."
)
ADMIN_HOAX_ADDED = "Hoaks #{id} dicatat beserta klarifikasinya."
ADMIN_HOAX_EXISTS = "Hoaks ini sudah tercatat sebagai #{id}."
STATS_HEADER = "Statistik Saring {days} hari terakhir:"
STATS_TOTAL = "• Pemeriksaan: {total}"
STATS_VERDICT = "• {label}: {count}"
STATS_RULES = "• Temuan terbanyak: {rules}"
STATS_FEEDBACK = '• Masukan "deteksi keliru": {feedback}'
STATS_DAY = "   {day}: {count}"
SOMETHING_WENT_WRONG = (
    "Mohon maaf, terjadi gangguan saat memeriksa. Pesan Bapak/Ibu sudah kami terima dan "
    "akan dijawab begitu layanan pulih."
)

# --- Buttons, content kinds and the Detail view -----------------------------------------------

BUTTON_DETAILS = "🔎 Detail"
BUTTON_FALSE_POSITIVE = "⚠️ Deteksi keliru"
BUTTON_REPORT = "📣 Laporkan ke pimpinan"

# What a message without text is, for "Saring hanya dapat memeriksa teks" answers.
CONTENT_KINDS = {
    "photo": "foto",
    "video": "video",
    "animation": "animasi (GIF)",
    "video_note": "pesan video",
    "voice": "pesan suara",
    "audio": "audio",
    "document": "dokumen",
    "sticker": "stiker",
    "venue": "lokasi tempat",
    "location": "lokasi",
    "contact": "kontak",
    "poll": "polling",
    "dice": "emoji animasi",
    "game": "permainan",
    "story": "story",
    "paid_media": "media berbayar",
    "invoice": "tagihan",
}
CONTENT_UNKNOWN = "jenis pesan ini"

SEVERITY_LABELS = {
    "low": "rendah",
    "medium": "sedang",
    "high": "tinggi",
    "critical": "kritis",
}

DETAILS_TITLE = "🔎 DETAIL PEMERIKSAAN"
DETAILS_VERDICT = "Hasil: {label}"

DETAILS_ORIGIN_HEADER = "Asal pesan:"
DETAILS_ORIGIN_NONE = (
    "   Tidak diteruskan dari mana pun (salinan atau ketikan); asal tidak dapat dipastikan."
)
DETAILS_ORIGIN_KINDS = {
    "channel": "kanal",
    "chat": "grup",
    "user": "akun perorangan",
    "hidden_user": "pengirim tersembunyi",
}
DETAILS_ORIGIN_KIND = "   Jenis: {kind}"
DETAILS_ORIGIN_NAME = "   Nama: {name}"
DETAILS_ORIGIN_USERNAME = "   Nama pengguna: @{username}"
DETAILS_ORIGIN_CHAT_ID = "   ID kanal/grup: {id}"
DETAILS_ORIGIN_USER_ID = "   ID akun: {id}"
DETAILS_PROVENANCE = {
    "official": "   Status: sumber resmi terdaftar ({name}).",
    "unregistered": "   Status: tidak terdaftar sebagai sumber resmi.",
    "unverifiable": "   Status: tidak dapat dipastikan (nama saja dapat ditiru siapa pun).",
}

DETAILS_FINDINGS_HEADER = "Temuan ({count}):"
DETAILS_NO_FINDINGS = "Temuan: tidak ada."
DETAILS_FINDING = "{number}. [{rule}] {title}"
DETAILS_SEVERITY = "   Tingkat: {severity}"
DETAILS_REASON = "   Alasan: {reason}"
DETAILS_CLAUSES = "   Dasar: {clauses}"
DETAILS_EVIDENCE = "   Bukti: {evidence}"
DETAILS_EXPLANATION = "   Penjelasan: {explanation}"
DETAILS_MATCHED = "kata kunci: {terms}"
DETAILS_SCORE = "skor {score}"
DETAILS_CONTEXT = "diturunkan oleh konteks “{word}” (skor akhir {score})"
DETAILS_FINAL_SCORE = "skor akhir {score}"
DETAILS_DETECTOR = "pendeteksi: {detector}"

DETAILS_LINKS_HEADER = "Tautan ({count}):"
DETAILS_NO_LINKS = "Tautan: tidak ada."
DETAILS_LINK = "• {url}"
DETAILS_LINK_STATUS = {
    "official": "   resmi ({name})",
    "lookalike": "   MENIRU situs resmi {imitates}; jangan dibuka",
    "shortened": "   tautan pendek; tujuannya tidak dapat diverifikasi",
    "unknown": "   bukan sumber resmi terdaftar",
}
DETAILS_LINK_TEXT_LINK = "   (tersembunyi di balik tulisan tautan)"

DETAILS_HOAX = "Mirip hoaks tercatat #{id} ({similarity}): {claim}"
DETAILS_HOAX_CLARIFICATION = "   Klarifikasi: {url}"
DETAILS_HOAX_DATE = "   Dicatat sejak: {date}"
DETAILS_BACKING = "Sumber resmi pendukung: {sources}"

DETAILS_OMITTED = "… tidak ditampilkan agar muat dalam satu pesan: {parts}."
DETAILS_OMITTED_FINDINGS = "{count} temuan"
DETAILS_OMITTED_LINKS = "{count} tautan"
DETAILS_OMITTED_OTHER = "{count} keterangan lain"
DETAILS_HASH = "Sidik isi: {hash}"
DETAILS_REFERENCE = "Ref: {reference}"

# --- Escalation ---------------------------------------------------------------------------------
# Alerts to unit heads, the PPK and the Diskominfotik review chat, and notices to reporters.
# A case is a report about the CONTENT of a message, never an accusation of the ASN who asked.

CASE_STATUS_LABELS = {
    "review": "MENUNGGU TINJAUAN DISKOMINFOTIK",
    "open": "MENUNGGU TINDAK LANJUT",
    "acknowledged": "SUDAH DITERIMA PIMPINAN",
    "forwarded": "DITERUSKAN KE PPK",
    "dismissed": "DINYATAKAN BUKAN PELANGGARAN",
    "decided": "KEPUTUSAN PPK DICATAT",
}
CASE_TRIGGER_LABELS = {
    "auto": "otomatis (temuan tingkat kritis)",
    "report": "dilaporkan oleh ASN melalui tombol “Laporkan ke pimpinan”",
    "share_anyway": "ASN menyatakan tetap membagikan setelah diingatkan",
}
CASE_ACTION_LABELS = {
    "ack": "✅ Terima",
    "fwd": "📨 Teruskan ke PPK",
    "nov": "❎ Bukan pelanggaran",
    "dec": "📝 Catat keputusan",
    "cfm": "✅ Benar, teruskan ke pimpinan",
}

CASE_STATUS = "Status: {label}"
CASE_STATUS_BY = "Status: {label} oleh {actor}, {time} WIB"
CASE_STATUS_AT = "Status: {label}, {time} WIB"
CASE_DECISION = "Keterangan: {decision}"
CASE_REFERENCE = "Ref kasus: {reference} · No. peringatan: {alert_number}"
CASE_SEVERITY = "Tingkat: {severity}"
CASE_TRIGGER = "Asal laporan: {trigger}"
CASE_UNIT = "Unit kerja pelapor: {unit}"
CASE_REPORTERS = "Jumlah pelapor: {count} ASN"
CASE_OPENED = "Dibuka: {time} WIB"
CASE_CHECKED = "Diperiksa: {time} WIB"
CASE_SUBJECT = "Penulis asal menurut Telegram (belum tentu pelaku): {subject}"
CASE_FINDING = "• {reason}"
CASE_FINDING_CLAUSES = "   Dasar: {clauses}"
CASE_FINDINGS_MORE = "… dan {count} temuan lain."
CASE_LINKS_MORE = "… dan {count} tautan lain."
CASE_HASH = "Sidik isi (SHA-256): {hash}"
CASE_TEXT_HEADER = "Teks pesan (NIK/NIP disamarkan):"
CASE_TEXT_CLIPPED = "[… teks dipotong: {count} karakter tidak ditampilkan]"
CASE_TEXT_EMPTY = "(tanpa teks)"

UNIT_HEAD_TITLE = "📣 DUGAAN PELANGGARAN ISI PESAN — {alert_number}"
UNIT_HEAD_INTRO = (
    "Yth. Bapak/Ibu Pimpinan, ASN di unit kerja Bapak/Ibu meneruskan ke Saring sebuah pesan "
    "yang isinya diduga melanggar ketentuan berikut. Laporan ini tentang isi pesan, bukan "
    "tentang ASN yang memeriksakannya."
)
UNIT_HEAD_FINDINGS = "Dugaan pelanggaran:"
UNIT_HEAD_ACTIONS = (
    "Teks pesan tidak dimuat di sini untuk melindungi data pribadi. Mohon tindak lanjut "
    "melalui tombol di bawah pesan ini."
)

PPK_TITLE = "📁 PAKET BUKTI DUGAAN PELANGGARAN — {alert_number}"
PPK_INTRO = (
    "Yth. Bapak/Ibu Pejabat Pembina Kepegawaian, berikut bukti pesan yang diduga melanggar "
    "SE MenPANRB 137/2018 dan/atau SE Sekda DKI 79/SE/2019. Pelapor telah bertindak benar "
    "dengan memeriksakan pesan sebelum membagikannya (SE MenPANRB 137/2018 angka 6)."
)
REVIEW_TITLE = "🔍 PERMINTAAN TINJAUAN — {alert_number}"
REVIEW_INTRO = (
    "Yth. Tim Diskominfotik, mode tinjau-dahulu aktif: belum ada pimpinan atau PPK yang "
    "menerima peringatan kasus ini. Mohon tinjau buktinya: teruskan bila dugaan pelanggaran "
    "beralasan, atau nyatakan bukan pelanggaran."
)
EVIDENCE_FINDINGS = "Temuan ({count}):"

REPORTER_THANKS = (
    "Terima kasih, Bapak/Ibu telah memeriksakan pesan sebelum membagikannya — itulah yang "
    "diminta SE MenPANRB 137/2018 angka 6. Laporan ini tentang isi pesan, bukan tentang "
    "Bapak/Ibu."
)
REPORTER_STATUS = {
    "review": "Laporan sedang ditinjau oleh Diskominfotik.",
    "open": "Laporan telah dicatat dan akan ditindaklanjuti oleh pimpinan yang berwenang.",
    "acknowledged": "Laporan telah diterima oleh pimpinan unit kerja.",
    "forwarded": "Laporan telah diteruskan kepada Pejabat Pembina Kepegawaian (PPK).",
    "dismissed": "Setelah ditinjau, isi pesan dinyatakan bukan pelanggaran.",
    "decided": "Pejabat Pembina Kepegawaian (PPK) telah mencatat keputusan atas laporan ini.",
}
REPORTER_STATUS_OTHER = "Status laporan: {label}."
REPORTER_TITLE = "Kabar laporan {reference}"
REPORTER_REFERENCE = "Ref: {reference} · {alert_number}"

DIGEST_TITLE = "🗓 RINGKASAN HARIAN SARING — {unit}"
DIGEST_TITLE_NUMBERED = "🗓 RINGKASAN HARIAN SARING — {unit} — {alert_number}"
DIGEST_INTRO = (
    "Yth. Bapak/Ibu Pimpinan, berikut {count} laporan dugaan pelanggaran isi pesan dari ASN di "
    "unit kerja Bapak/Ibu. Laporan ini tentang isi pesan, bukan tentang ASN yang memeriksakannya."
)
DIGEST_NONE = "Tidak ada laporan baru."
DIGEST_CASE = "• {reference} ({alert_number}) — tingkat {severity} — {count} pelapor"
DIGEST_CASE_WHAT = "   {reasons}"
DIGEST_CASE_STATUS = "   {status}"
DIGEST_MORE = "… dan {count} kasus lain (lihat /kasus)."

# --- Escalation: what the ASN and officials see in the chat --------------------------------------

BUTTON_SHARE_ANYWAY = "Saya tetap akan membagikan"
SHARE_ANYWAY_WARNING = (
    "Pesan ini memuat dugaan pelanggaran. Bila Bapak/Ibu tetap membagikannya, isi pesan ini "
    "akan dicatat dan dilaporkan kepada pimpinan unit kerja sesuai kebijakan Saring. "
    "Lanjutkan?"
)
BUTTON_SHARE_ANYWAY_CONFIRM = "Ya, catat dan laporkan"
REPORT_OPENED = (
    "Terima kasih. Laporan dicatat sebagai {reference} dan diteruskan kepada yang berwenang."
)
REPORT_MERGED = (
    "Terima kasih. Isi pesan ini sudah dilaporkan sebelumnya ({reference}); laporan "
    "Bapak/Ibu ditambahkan ke kasus tersebut."
)
REPORT_ALREADY = "Bapak/Ibu sudah melaporkan isi pesan ini ({reference}). Terima kasih."
REPORT_LIMITED = "Mohon maaf, batas laporan untuk saat ini sudah tercapai. Silakan coba lagi nanti."
REPORT_NOT_NEEDED = "Pesan ini tidak perlu dilaporkan ke pimpinan."
AUTO_CASE_NOTE = (
    "ℹ️ Karena temuannya tingkat kritis, isi pesan ini otomatis dilaporkan kepada pimpinan "
    "sebagai laporan atas isi pesan ({reference}), bukan tentang Bapak/Ibu."
)
ACT_DONE = "Tercatat. Semua peringatan kasus {reference} diperbarui."
ACT_REFUSED = (
    "Mohon maaf, Bapak/Ibu tidak berwenang menindaklanjuti kasus ini. Percobaan ini dicatat."
)
ACT_NOT_ALLOWED = "Kasus {reference} sudah ditindaklanjuti sebelumnya."
ASK_REASON = "Mohon tuliskan alasannya dengan membalas (reply) pesan ini, untuk kasus {reference}."
REASON_RECORDED = "Alasan dicatat untuk kasus {reference}. Terima kasih."
CASES_HEADER = "Kasus terbuka ({count}):"
CASES_NONE = "Tidak ada kasus terbuka."
CASES_LINE = "• {reference} — {status} — {rules} — {count} pelapor"
CASES_NOT_ALLOWED = "Daftar kasus hanya untuk pimpinan unit kerja, PPK dan admin Diskominfotik."
CASES_UNENROLLED = "Pejabat yang belum dapat menerima peringatan langsung:"
CASES_UNENROLLED_LINE = "• {name} ({role}) — {problem}"
OFFICIAL_PROBLEMS = {
    "not linked": "akun Telegram belum terhubung (roster/daftar)",
    "never started": "belum menekan /start di Saring",
    "unreachable": "tidak dapat dihubungi (memblokir bot atau akun nonaktif)",
}
FALLBACK_NOTICE = (
    "⚠️ Peringatan ini tidak dapat disampaikan kepada {recipient} (Telegram menolak pengiriman: "
    "{reason}). Mohon Bapak/Ibu menindaklanjuti atau meneruskannya kepada yang bersangkutan."
)
FALLBACK_RECIPIENT = "pejabat dengan ID Telegram {chat_id}"
RECIPIENT_UNIT_HEAD = "pimpinan unit kerja {unit}"
RECIPIENT_PPK = "chat PPK"
RECIPIENT_REVIEW = "chat tinjauan Diskominfotik"
