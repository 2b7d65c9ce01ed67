# =====================================================================
# 7. tolerant: mail a careful reader still reads
# =====================================================================
# Each message carries one fault that strict parsers stop at (or that
# makes them lose part of the message) while everything needed to file
# and answer it is there. The expectations say what must be kept.
# Executed by build_public.py after public_part3.py (same globals).


def keep(name, data, thread, expect, **kw):
    expect.setdefault("line_endings", "CRLF")
    return C.add(name, data, "tolerant", thread, expect, **kw)


# --- no From: the sender is read from Return-Path ---------------------
d, iso = date(2024, 4, 2, 9, 12, 30)
msg = Part([
    ("Return-Path", "<atelier.verdier@courriel.example>"),
    received("smtp-out.courriel.example", "192.0.2.41", MX, d, SUPPORT, "4V7Fq21NoFrz9sa"),
    ("To", SUPPORT),
    ("Subject", ew_q("Bon de livraison n° 4471")),
    ("Date", d),
    ("Message-ID", "<20240402091230.4471@atelier-verdier.courriel.example>"),
    ("MIME-Version", "1.0"),
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Transfer-Encoding", "8bit"),
], "Bonjour,\nle bon de livraison 4471 a été scanné et envoyé par notre copieur.\n"
   "Merci de confirmer la réception des 12 abat-jour.\nAtelier Verdier\n".encode("utf-8"))
keep("keep-01-no-from-return-path.eml", render(msg), "k-no-from-4471", {
    "subject": "Bon de livraison n° 4471",
    "from": "atelier.verdier@courriel.example",
    "message_id": "20240402091230.4471@atelier-verdier.courriel.example",
    "date": iso,
    "text_contains": "a été scanné et envoyé par notre copieur",
    "note": "No From header (a copier's scan-to-mail). The sender is taken from Sender, then Reply-To, then "
            "Return-Path (here); only a message with none of them is quarantined, with that reason.",
})
