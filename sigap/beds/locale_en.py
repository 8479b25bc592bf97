"""English for the msgids of the bed board, facilities and the API's error answers (merged
into the catalogue by the lead with `sigap/locale/po_tool.py fill`)."""
# ruff: noqa: E501 - one msgid per line, as in a catalogue

EN = {
    "Metode %(m)s tidak diterima di alamat ini.": "Method %(m)s is not accepted at this address.",
    "Anda tidak berhak melakukan ini.": "You may not do this.",
    "Ada nilai yang terlalu besar, terlalu panjang atau berisi karakter tidak sah.": "A value is too large, too long or contains invalid characters.",
    "Terjadi kesalahan di server. Coba lagi nanti.": "Something went wrong on the server. Please try again later.",
    "offset paling besar %(n)s.": "offset is at most %(n)s.",
    # coverage (a bound added by the all-or-nothing sweep)
    "Kuota paling besar %(n)s.": "The quota is at most %(n)s.",
}
