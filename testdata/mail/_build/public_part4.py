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


# --- an mbox "From " envelope line before the header ------------------
d, iso = date(2024, 4, 3, 10, 15, 2, "+0200")
msg = Part([
    "From marc.lefevre@courriel.example Wed Apr  3 08:15:04 2024",
    ("Return-Path", "<marc.lefevre@courriel.example>"),
    received("smtp-out.courriel.example", "192.0.2.41", MX, d, SUPPORT, "4V8Gm40MboXz9sb"),
    ("From", addr("Marc Lefèvre", "marc.lefevre@courriel.example")),
    ("To", SUPPORT),
    ("Subject", ew_q("Suspension Opaline : câble trop court")),
    ("Date", d),
    ("Message-ID", "<20240403101502.6c1e@courriel.example>"),
    ("MIME-Version", "1.0"),
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Transfer-Encoding", "8bit"),
], "Bonjour,\nle câble de la suspension Opaline mesure 80 cm au lieu de 1,50 m.\n"
   "Pouvez-vous m'envoyer un câble plus long ?\nMarc Lefèvre\n".encode("utf-8"))
keep("keep-02-mbox-envelope-line.eml", render(msg, "\n"), "k-mbox-opaline", {
    "subject": "Suspension Opaline : câble trop court",
    "from": "marc.lefevre@courriel.example",
    "from_name": "Marc Lefèvre",
    "message_id": "20240403101502.6c1e@courriel.example",
    "date": iso,
    "text_contains": "le câble de la suspension Opaline mesure 80 cm",
    "line_endings": "LF",
    "note": "Saved from an mbox file: the first line is the \"From \" envelope line (no colon), and lines end in "
            "bare LF as in the mbox. Skip the envelope line; the header follows it.",
})


# --- a header block broken by one colon-less line ---------------------
d, iso = date(2024, 4, 3, 14, 40, 9, "+0200")
msg = Part([
    ("Return-Path", "<noreply-form@maison-lumiere.example>"),
    received("web01.maison-lumiere.example", "198.51.100.80", MX, d, SUPPORT, "4V8NQ81BrkHz9sc"),
    ("From", addr("Yasmine Cherif", "yasmine.cherif@boitemail.example")),
    ("To", SUPPORT),
    ("Subject", ew_q("Formulaire de contact : lampe de chevet Lune")),
    ("Date", d),
    ("Message-ID", "<form.20240403144009.88@web01.maison-lumiere.example>"),
    ("MIME-Version", "1.0"),
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Transfer-Encoding", "8bit"),
    "X-Form-Id contact-v2",
], "Bonjour,\nla lampe de chevet Lune existe-t-elle avec un variateur ?\nYasmine Cherif\n".encode("utf-8"))
keep("keep-03-header-line-without-colon.eml", render(msg), "k-form-lune", {
    "subject": "Formulaire de contact : lampe de chevet Lune",
    "from": "yasmine.cherif@boitemail.example",
    "message_id": "form.20240403144009.88@web01.maison-lumiere.example",
    "date": iso,
    "charset": "utf-8",
    "text_starts_with": "Bonjour,",
    "text_contains": "existe-t-elle avec un variateur",
    "text_not_contains": "X-Form-Id",
    "note": "The contact form's script wrote a last header line without its colon (\"X-Form-Id contact-v2\"). "
            "Every real field comes before it: keep them, drop the broken line (or start the body there), "
            "never quarantine the message.",
})


# --- broken part headers must not lose the parts after them -----------
d, iso = date(2024, 4, 4, 9, 2, 51, "+0200")
png_lampe = png_bytes(12, 12, seed=404)
pdf_facture = pdf_bytes(["Facture F-2024-0404", "Lampe Arc noire"], "Facture F-2024-0404")
bnd = "----=_Part_440_broken_headers"
msg = Part([
    ("Return-Path", "<olivier.brun@courriel.example>"),
    received("smtp-out.courriel.example", "192.0.2.41", MX, d, SUPPORT, "4V8tK51PhdRz9sd"),
    ("From", addr("Olivier Brun", "olivier.brun@courriel.example")),
    ("To", SUPPORT),
    ("Subject", "Lampe Arc : photo et facture"),
    ("Date", d),
    ("Message-ID", "<20240404090251.440@courriel.example>"),
    ("MIME-Version", "1.0"),
    ("Content-Type", 'multipart/mixed; boundary="%s"' % bnd),
], multipart_body(bnd, [
    text_part("Bonjour,\nvoici la photo de la lampe Arc rayée et la facture.\n", cte="8bit"),
    Part([" X-Uploaded-By: webmail 3.2",
          ("Content-Type", 'image/png; name="lampe-arc.png"'),
          ("Content-Transfer-Encoding", "base64"),
          ("Content-Disposition", 'attachment; filename="lampe-arc.png"')], b64(png_lampe) + "\n"),
    Part([("Content-Type", 'application/pdf; name="facture-F-2024-0404.pdf"'),
          "Content Description: Facture",
          ("Content-Transfer-Encoding", "base64"),
          ("Content-Disposition", "attachment;"),
          'filename="facture-F-2024-0404.pdf"'], b64(pdf_facture) + "\n"),
    text_part("Olivier Brun\n06 00 00 00 00\n", cte="8bit"),
]))
keep("keep-04-broken-part-headers.eml", render(msg), "k-arc-rayee", {
    "subject": "Lampe Arc : photo et facture",
    "from": "olivier.brun@courriel.example",
    "date": iso,
    "text_contains": "voici la photo de la lampe Arc rayée",
    "text_contains_more": ["Olivier Brun"],
    "attachments_lenient": [
        att_exp("lampe-arc.png", "image/png", png_lampe),
        att_exp("facture-F-2024-0404.pdf", "application/pdf", pdf_facture),
    ],
    "note": "The image part's header starts with an indented line, the PDF part's has a field name with a space "
            "and a filename parameter whose fold lost its indent. Keep each part and every part after it "
            "(a strict reader loses the image, the PDF and the signature).",
})


# --- slightly damaged base64 -----------------------------------------
d, iso = date(2024, 4, 4, 16, 27, 33, "+0200")
pdf_bon = pdf_bytes(["Bon de retour R-2024-0419", "Applique Vague laiton"], "Bon de retour R-2024-0419")
lines = b64(pdf_bon).split("\n")
lines[3] = lines[3][:30] + "!" + lines[3][30:]   # a byte a gateway mangled
lines[5] = lines[5][:12] + "\xa0" + lines[5][12:]  # a no-break space pasted in
lines[-1] = lines[-1].rstrip("=")                 # padding cut off
bnd = "=_damaged_b64_0419"
msg = Part([
    ("Return-Path", "<claire.petit@boitemail.example>"),
    received("out-12.boitemail.example", "198.51.100.23", MX, d, SUPPORT, "4V95Rz1B64dz9se"),
    ("From", addr("Claire Petit", "claire.petit@boitemail.example")),
    ("To", SUPPORT),
    ("Subject", "Bon de retour R-2024-0419"),
    ("Date", d),
    ("Message-ID", "<20240404162733.0419@boitemail.example>"),
    ("MIME-Version", "1.0"),
    ("Content-Type", 'multipart/mixed; boundary="%s"' % bnd),
], multipart_body(bnd, [
    text_part("Bonjour,\nje vous renvoie le bon de retour signé pour l'applique Vague.\nClaire Petit\n", cte="8bit"),
    Part([("Content-Type", 'application/pdf; name="bon-retour-R-2024-0419.pdf"'),
          ("Content-Disposition", 'attachment; filename="bon-retour-R-2024-0419.pdf"'),
          ("Content-Transfer-Encoding", "base64")], "\n".join(lines).encode("latin-1") + b"\n"),
]))
keep("keep-05-damaged-base64.eml", render(msg), "k-retour-vague", {
    "subject": "Bon de retour R-2024-0419",
    "from": "claire.petit@boitemail.example",
    "date": iso,
    "text_contains": "je vous renvoie le bon de retour signé",
    "attachments_lenient": [att_exp("bon-retour-R-2024-0419.pdf", "application/pdf", pdf_bon)],
    "note": "The PDF's base64 has two characters outside the alphabet (\"!\" and a latin-1 no-break space) and "
            "its final padding is missing. Decode leniently as mail readers do (skip what is not base64, "
            "accept missing padding): every byte of the PDF comes back.",
})


# --- a multipart without its boundary ---------------------------------
d, iso = date(2024, 4, 5, 8, 48, 17, "+0200")
msg = Part([
    ("Return-Path", "<bruno.garcia@postbox.example>"),
    received("mail.postbox.example", "203.0.113.7", MX, d, SUPPORT, "4V9bN80NoBdz9sf"),
    ("From", addr("Bruno Garcia", "bruno.garcia@postbox.example")),
    ("To", SUPPORT),
    ("Subject", "Commande 31077 : adresse de livraison"),
    ("Date", d),
    ("Message-ID", "<20240405084817.31077@postbox.example>"),
    ("MIME-Version", "1.0"),
    ("Content-Type", "multipart/alternative; charset=utf-8"),
    ("Content-Transfer-Encoding", "8bit"),
], "Bonjour,\nmerci de livrer la commande 31077 au 12 rue des Tilleuls et non à mon ancienne adresse.\n"
   "Bruno Garcia\n".encode("utf-8"))
keep("keep-06-multipart-without-boundary.eml", render(msg), "k-adresse-31077", {
    "subject": "Commande 31077 : adresse de livraison",
    "from": "bruno.garcia@postbox.example",
    "message_id": "20240405084817.31077@postbox.example",
    "date": iso,
    "text_contains": "merci de livrer la commande 31077 au 12 rue des Tilleuls",
    "note": "Declared multipart/alternative but without a boundary parameter (and the body is plain text): "
            "its parts cannot be found, so read the body as text/plain instead of storing an empty message.",
})


# --- an unknown multipart subtype is read as multipart/mixed ----------
d, iso = date(2024, 4, 5, 11, 3, 40, "+0200")
import struct as _struct  # noqa: E402
pcm = bytes((i * 37) % 256 for i in range(1600))
wav = (b"RIFF" + _struct.pack("<I", 36 + len(pcm)) + b"WAVE" + b"fmt " +
       _struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8) + b"data" + _struct.pack("<I", len(pcm)) + pcm)
bnd = "voice-msg-7f30a1"
msg = Part([
    ("Return-Path", "<messagerie@standard.atelier-roche.example>"),
    received("standard.atelier-roche.example", "192.0.2.77", MX, d, SUPPORT, "4V9fT31VoiMz9sg"),
    ("From", addr("Standard Atelier Roche", "messagerie@standard.atelier-roche.example")),
    ("To", SUPPORT),
    ("Subject", "Message vocal de Paul Roche (04 00 00 00 00)"),
    ("Date", d),
    ("Message-ID", "<vm.20240405110340.7f30a1@standard.atelier-roche.example>"),
    ("MIME-Version", "1.0"),
    ("Content-Type", 'multipart/voice-message; boundary="%s"' % bnd),
], multipart_body(bnd, [
    text_part("Message vocal reçu le 5 avril à 11 h 03, durée 0:42.\n", cte="8bit"),
    attachment(wav, "audio/wav", "message-vocal.wav"),
    text_part("Transcription : Bonjour, c'est Paul Roche de l'atelier Roche, je vous rappelle pour les "
              "douze suspensions Opaline, rappelez-moi au 04 00 00 00 00.\n", cte="8bit"),
]))
keep("keep-07-unknown-multipart-subtype.eml", render(msg), "k-vocal-roche", {
    "subject": "Message vocal de Paul Roche (04 00 00 00 00)",
    "from": "messagerie@standard.atelier-roche.example",
    "date": iso,
    "text_contains": "Message vocal reçu le 5 avril",
    "text_contains_more": ["je vous rappelle pour les douze suspensions Opaline"],
    "attachments": [att_exp("message-vocal.wav", "audio/wav", wav)],
    "note": "multipart/voice-message (RFC 3801), a subtype the parser does not know: RFC 2046 says to read it "
            "as multipart/mixed, so both text parts are text (the transcription is not turned into an "
            "attachment) and the recording is an attachment.",
})


# --- raw 8-bit windows-1252 headers, no charset declared --------------
d, iso = date(2024, 4, 5, 15, 22, 8, "+0200")
hdr = ("Return-Path: <g.lemaitre@vieuxmail.example>\r\n"
       "Received: from smtp.vieuxmail.example (smtp.vieuxmail.example [198.51.100.61])\r\n"
       "\tby mx1.maison-lumiere.example (Postfix) with ESMTP id 4V9mW61Cp12z9sh\r\n"
       "\tfor <support@maison-lumiere.example>; %s\r\n"
       "From: Gérald Lemaître <g.lemaitre@vieuxmail.example>\r\n"
       "To: Maison Lumière <support@maison-lumiere.example>\r\n"
       "Subject: Réclamation – facture n° 5120 (89,90 €), l’abat-jour est déchiré\r\n"
       "Date: %s\r\n"
       "Message-ID: <000a01da8763$5120$0201a8c0@PCGERALD>\r\n"
       "MIME-Version: 1.0\r\n"
       "Content-Type: text/plain\r\n"
       "Content-Transfer-Encoding: 8bit\r\n"
       "X-Mailer: Microsoft Outlook Express 6.00.2900.5512\r\n"
       "\r\n" % (d, d))
body = ("Bonjour,\r\n"
        "l’abat-jour reçu avec la facture n° 5120 est déchiré sur le côté.\r\n"
        "Gérald Lemaître\r\n")
keep("keep-08-raw-8bit-windows-1252-headers.eml", (hdr + body).encode("cp1252"), "k-abat-jour-5120", {
    "subject": "Réclamation – facture n° 5120 (89,90 €), l’abat-jour est déchiré",
    "from": "g.lemaitre@vieuxmail.example",
    "from_name": "Gérald Lemaître",
    "to_name": "Maison Lumière",
    "message_id": "000a01da8763$5120$0201a8c0@PCGERALD",
    "date": iso,
    "text_contains": "l’abat-jour reçu avec la facture n° 5120 est déchiré",
    "note": "Subject, From and To hold raw windows-1252 bytes (’ 0x92, – 0x96, € 0x80, é 0xE9), no RFC 2047 "
            "and no charset declared anywhere. Bytes that are not UTF-8 are read as windows-1252, never "
            "replaced by U+FFFD.",
})


# --- raw 8-bit headers in the declared charset (ISO-8859-2) -----------
d, iso = date(2024, 4, 8, 10, 5, 44, "+0200")
hdr = ("Return-Path: <lukasz.wisniewski@poczta.example>\r\n"
       "Received: from mx.poczta.example (mx.poczta.example [203.0.113.90])\r\n"
       "\tby mx1.maison-lumiere.example (Postfix) with ESMTPS id 4VBh8K1Pl02z9si\r\n"
       "\tfor <support@maison-lumiere.example>; %s\r\n"
       "From: Łukasz Wiśniewski <lukasz.wisniewski@poczta.example>\r\n"
       "To: support@maison-lumiere.example\r\n"
       "Subject: Reklamacja: lampa Łuk, zamówienie 40212\r\n"
       "Date: %s\r\n"
       "Message-ID: <20240408100544.40212@poczta.example>\r\n"
       "MIME-Version: 1.0\r\n"
       "Content-Type: text/plain; charset=iso-8859-2\r\n"
       "Content-Transfer-Encoding: 8bit\r\n"
       "\r\n" % (d, d))
body = ("Dzień dobry,\r\n"
        "lampa Łuk z zamówienia 40212 przyszła z pękniętym kloszem.\r\n"
        "Łukasz Wiśniewski\r\n")
keep("keep-09-raw-8bit-declared-charset-headers.eml", (hdr + body).encode("iso-8859-2"), "k-lampa-luk-40212", {
    "subject": "Reklamacja: lampa Łuk, zamówienie 40212",
    "from": "lukasz.wisniewski@poczta.example",
    "from_name": "Łukasz Wiśniewski",
    "message_id": "20240408100544.40212@poczta.example",
    "date": iso,
    "charset": "iso-8859-2",
    "text_contains": "przyszła z pękniętym kloszem",
    "language": "pl",
    "note": "Subject and From hold raw ISO-8859-2 bytes (Ł 0xA3, ś 0xB6, ó 0xF3), the charset the body "
            "declares. Read them in that charset (windows-1252 would give £ and ¶).",
})


# --- an encoded-word inside a quoted display name ---------------------
d, iso = date(2024, 4, 8, 14, 31, 2, "+0200")
msg = Part([
    ("Return-Path", "<amelie.fournier@courriel.example>"),
    received("smtp-out.courriel.example", "192.0.2.41", MX, d, SUPPORT, "4VBqL21EwQnz9sj"),
    ("From", '"=?utf-8?q?Am=C3=A9lie_Fournier?=" <amelie.fournier@courriel.example>'),
    ("To", '"=?iso-8859-1?q?Service_client_Maison_Lumi=E8re?=" <support@maison-lumiere.example>'),
    ("Subject", "Variateur pour la lampe Nuage"),
    ("Date", d),
    ("Message-ID", "<20240408143102.77aa@courriel.example>"),
    ("MIME-Version", "1.0"),
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Transfer-Encoding", "8bit"),
], "Bonjour,\nvendez-vous un variateur compatible avec la lampe Nuage ?\nAmélie Fournier\n".encode("utf-8"))
keep("keep-10-encoded-word-in-quoted-name.eml", render(msg), "k-variateur-nuage", {
    "subject": "Variateur pour la lampe Nuage",
    "from": "amelie.fournier@courriel.example",
    "from_name": "Amélie Fournier",
    "to_name": "Service client Maison Lumière",
    "message_id": "20240408143102.77aa@courriel.example",
    "date": iso,
    "text_contains": "vendez-vous un variateur compatible",
    "note": "The display names are RFC 2047 encoded-words inside quotes, which RFC 2047 forbids but many "
            "mailers write. Decode them as mail readers do.",
})


# --- Outlook's semicolon-separated address lists ----------------------
d, iso = date(2024, 4, 8, 17, 12, 55, "+0200")
msg = Part([
    ("Return-Path", "<jean.morel@courriel.example>"),
    received("smtp-out.courriel.example", "192.0.2.41", MX, d, SUPPORT, "4VBwY41SemCz9sk"),
    ("From", addr("Jean Morel", "jean.morel@courriel.example")),
    ("To", "Service client <support@maison-lumiere.example>; Ventes <ventes@maison-lumiere.example>"),
    ("Cc", '"Morel, Sophie" <sophie.morel@courriel.example>; compta@atelier-morel.example;\n'
           ' =?utf-8?q?Ren=C3=A9e_Blanc?= <renee.blanc@atelier-morel.example>'),
    ("Subject", "Devis pour 20 appliques Vague"),
    ("Date", d),
    ("Message-ID", "<20240408171255.5e21@courriel.example>"),
    ("MIME-Version", "1.0"),
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Transfer-Encoding", "8bit"),
], "Bonjour,\npourriez-vous nous faire un devis pour 20 appliques Vague en laiton ?\n"
   "Ma collègue Sophie et notre comptabilité sont en copie.\nJean Morel\n".encode("utf-8"))
keep("keep-11-semicolon-address-lists.eml", render(msg), "k-devis-appliques", {
    "subject": "Devis pour 20 appliques Vague",
    "from": "jean.morel@courriel.example",
    "to_name": "Service client",
    "to_count": 2,
    "cc_count": 3,
    "date": iso,
    "text_contains": "un devis pour 20 appliques Vague",
    "note": "To and Cc separate addresses with semicolons, as Outlook users type them. Keep every address "
            "(a strict RFC 5322 parser fails the list, a careless fallback keeps only the first).",
})


# --- RFC 2231 continuations whose first section names the charset ------
d, iso = date(2024, 4, 9, 9, 40, 12, "+0200")
pdf_recap = pdf_bytes(["Recapitulatif commande 40377", "3 suspensions Opaline"], "Recapitulatif")
pdf_plan = pdf_bytes(["Plan de pose", "Salon - 3 points lumineux"], "Plan de pose")
png_salon = png_bytes(10, 10, seed=4377)
bnd = "----=_NextPart_000_0412_01DA8A3C.5E2B7C40"
msg = Part([
    ("Return-Path", "<francois.giraud@courriel.example>"),
    received("smtp-out.courriel.example", "192.0.2.41", MX, d, SUPPORT, "4VCKd61Rfc2z9sl"),
    ("From", addr("François Giraud", "francois.giraud@courriel.example")),
    ("To", SUPPORT),
    ("Subject", ew_q("Récapitulatif de la commande 40377")),
    ("Date", d),
    ("Message-ID", "<000001da8a3c$5e2b7c40$1a8474c0$@courriel.example>"),
    ("MIME-Version", "1.0"),
    ("Content-Type", 'multipart/mixed; boundary="%s"' % bnd),
], multipart_body(bnd, [
    text_part("Bonjour,\nvoici le récapitulatif de la commande 40377, le plan de pose et une photo du salon.\n"
              "François Giraud\n", cte="8bit"),
    Part([("Content-Type", "application/pdf"),
          ("Content-Disposition", "attachment;\n filename*0*=iso-8859-1''R%E9capitulatif%20;\n"
                                  " filename*1*=commande.pdf"),
          ("Content-Transfer-Encoding", "base64")], b64(pdf_recap) + "\n"),
    Part([("Content-Type", "application/pdf"),
          ("Content-Disposition", "attachment;\n filename*1=\" de pose.pdf\";\n"
                                  " filename*0*=windows-1252'fr'Sch%E9ma%20et%20plan"),
          ("Content-Transfer-Encoding", "base64")], b64(pdf_plan) + "\n"),
    Part([("Content-Type", "image/png;\n name*0*=UTF-8''Salon%20%E2%80%93%20;\n name*1*=vue%20g%C3%A9n%C3%A9rale.png"),
          ("Content-Disposition", "attachment"),
          ("Content-Transfer-Encoding", "base64")], b64(png_salon) + "\n"),
]))
keep("keep-12-rfc2231-charset-section.eml", render(msg), "k-recap-40377", {
    "subject": "Récapitulatif de la commande 40377",
    "from": "francois.giraud@courriel.example",
    "date": iso,
    "text_contains": "voici le récapitulatif de la commande 40377",
    "attachments_lenient": [
        att_exp("Récapitulatif commande.pdf", "application/pdf", pdf_recap),
        att_exp("Schéma et plan de pose.pdf", "application/pdf", pdf_plan),
        att_exp("Salon – vue générale.png", "image/png", png_salon),
    ],
    "note": "RFC 2231 continued names whose first section carries the charset (ISO-8859-1, windows-1252 with a "
            "language, UTF-8), sent out of order and mixing encoded and plain sections. Go's mime package "
            "drops the sections in charsets other than UTF-8 and keeps the rest (\"commande.pdf\"); decode "
            "every section in its charset.",
})


# --- raw UTF-8 in an unquoted filename ---------------------------------
d, iso = date(2024, 4, 9, 13, 58, 27, "+0200")
pdf_bon = pdf_bytes(["Bon de commande n 5", "Lampadaire Arc"], "Bon de commande")
bnd = "Apple-Mail=_3C1D0B8E-5F2A-4A7B-9E61-0D2C5B7A9F13"
msg = Part([
    ("Return-Path", "<ines.roussel@icloud.example>"),
    received("st43p00im-ztdg10073201.me.example", "203.0.113.140", MX, d, SUPPORT, "4VCRb11Utf8z9sm"),
    ("From", addr("Inès Roussel", "ines.roussel@icloud.example")),
    ("To", SUPPORT),
    ("Subject", ew_q("Bon de commande n°5")),
    ("Date", d),
    ("Message-ID", "<6E2B1F0A-9C3D-4E8F-A1B2-C3D4E5F60718@icloud.example>"),
    ("MIME-Version", "1.0"),
    ("Content-Type", 'multipart/mixed; boundary="%s"' % bnd),
], multipart_body(bnd, [
    text_part("Bonjour,\nci-joint mon bon de commande n°5 pour le lampadaire Arc.\nInès\n", cte="8bit"),
    Part([("Content-Type", "application/pdf; name=Récapitulatif commande n°5.pdf".encode("utf-8")),
          ("Content-Disposition", "attachment; filename=Récapitulatif commande n°5.pdf".encode("utf-8")),
          ("Content-Transfer-Encoding", "base64")], b64(pdf_bon) + "\n"),
]))
keep("keep-13-raw-utf8-unquoted-filename.eml", render(msg), "k-bon-commande-5", {
    "subject": "Bon de commande n°5",
    "from": "ines.roussel@icloud.example",
    "date": iso,
    "text_contains": "ci-joint mon bon de commande n°5",
    "attachments_lenient": [att_exp("Récapitulatif commande n°5.pdf", "application/pdf", pdf_bon)],
    "note": "The file name is raw UTF-8 with spaces, unquoted (RFC 2045 wants a quoted token or RFC 2231). "
            "Go's mime package refuses the whole parameter list; keep the name as written.",
})


# --- a malformed Content-Type: parameters without their semicolon -----
d, iso = date(2024, 4, 9, 16, 20, 5, "+0200")
pdf_devis = pdf_bytes(["Devis 2024-0412", "Cuisine - 4 spots"], "Devis 2024-0412")
png_plan = png_bytes(14, 9, seed=412)
bnd = "=_scanner_0412"
msg = Part([
    ("Return-Path", "<cuisines.arnaud@pro.example>"),
    received("mail.pro.example", "198.51.100.140", MX, d, SUPPORT, "4VCWx51BadCz9sn"),
    ("From", addr("Cuisines Arnaud", "cuisines.arnaud@pro.example")),
    ("To", SUPPORT),
    ("Subject", "Devis 2024-0412 et plan de la cuisine"),
    ("Date", d),
    ("Message-ID", "<20240409162005.0412@pro.example>"),
    ("MIME-Version", "1.0"),
    ("Content-Type", 'multipart/mixed; boundary="%s"' % bnd),
], multipart_body(bnd, [
    text_part("Bonjour,\nvoici le devis 2024-0412 et le plan de la cuisine pour les 4 spots.\n"
              "Cuisines Arnaud\n", cte="8bit"),
    Part([("Content-Type", 'application/pdf name="devis-2024-0412.pdf"'),
          ("Content-Transfer-Encoding", "base64")], b64(pdf_devis) + "\n"),
    Part([("Content-Type", 'image/png; name="plan cuisine.png'),
          ("Content-Transfer-Encoding", "base64")], b64(png_plan) + "\n"),
]))
keep("keep-14-malformed-content-type.eml", render(msg), "k-devis-cuisine-0412", {
    "subject": "Devis 2024-0412 et plan de la cuisine",
    "from": "cuisines.arnaud@pro.example",
    "date": iso,
    "text_contains": "voici le devis 2024-0412 et le plan de la cuisine",
    "attachments_lenient": [
        att_exp("devis-2024-0412.pdf", "application/pdf", pdf_devis),
        att_exp("plan cuisine.png", "image/png", png_plan),
    ],
    "note": "One Content-Type lacks the semicolon before name=, another never closes its quote. The type is "
            "application/pdf (not 'application/pdf name=...'), the names are the parameters' values.",
})


# --- a Swedish Outlook reply: the quoted header block ------------------
d, iso = date(2024, 4, 10, 9, 14, 36, "+0200")
body = ("Hej,\n\n"
        "lampan Opaline har fortfarande inte kommit. Kan ni kontrollera spårningsnumret?\n\n"
        "Med vänliga hälsningar\n"
        "Karin Lindqvist\n\n"
        "________________________________\n"
        "Från: Maison Lumière <support@maison-lumiere.example>\n"
        "Skickat: den 8 april 2024 16:02\n"
        "Till: Karin Lindqvist <karin.lindqvist@post.example>\n"
        "Ämne: Re: Leverans av lampa Opaline\n\n"
        "Bonjour Karin,\n\n"
        "votre lampe Opaline a été expédiée ce matin.\n\n"
        "Maison Lumière\n")
msg = Part([
    ("Return-Path", "<karin.lindqvist@post.example>"),
    received("mail-eopbgr70091.outbound.protection.outlook.example", "203.0.113.170", MX, d, SUPPORT,
             "4VCsP31SweRz9so"),
    ("From", addr("Karin Lindqvist", "karin.lindqvist@post.example")),
    ("To", addr("Maison Lumière", SUPPORT)),
    ("Subject", "SV: Leverans av lampa Opaline"),
    ("Thread-Topic", "Leverans av lampa Opaline"),
    ("Date", d),
    ("Message-ID", "<%s>" % outlook_id("karin-sv", "HE1PR0701MB2345", "EURPRD07")),
    ("In-Reply-To", "<20240408160200.9a7e@maison-lumiere.example>"),
    ("Content-Language", "sv-SE"),
    ("MIME-Version", "1.0"),
    ("Content-Type", 'text/plain; charset="utf-8"'),
    ("Content-Transfer-Encoding", "quoted-printable"),
], qp(body))
keep("keep-15-outlook-swedish-quoted-header.eml", render(msg), "k-leverans-opaline", {
    "subject": "SV: Leverans av lampa Opaline",
    "normalized_subject": "Leverans av lampa Opaline",
    "from": "karin.lindqvist@post.example",
    "in_reply_to": "20240408160200.9a7e@maison-lumiere.example",
    "date": iso,
    "text_contains": "Kan ni kontrollera spårningsnumret?",
    "quoted_text_starts_with": "Från: Maison Lumière",
    "language": "sv",
    "note": "Swedish Outlook quotes the message it answers under a Från:/Skickat:/Till:/Ämne: block. That block "
            "starts the quoted history, as De :/Envoyé :, Von:/Gesendet: and From:/Sent: do.",
})


# --- an Exim bounce: plain text, no RFC 3464 parts ---------------------
d, iso = date(2024, 4, 10, 11, 30, 4, "+0200")
ORIG_EXIM = "20240410112958.6b2c@maison-lumiere.example"
body = ("This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\n"
        "recipients. This is a permanent error. The following address(es) failed:\n\n"
        "  c.bernard@ancien-fai.example\n"
        "    host mx.ancien-fai.example [192.0.2.200]\n"
        "    SMTP error from remote mail server after RCPT TO:<c.bernard@ancien-fai.example>:\n"
        "    550 5.1.1 <c.bernard@ancien-fai.example>: Recipient address rejected: User unknown in virtual mailbox table\n\n"
        "------ This is a copy of the message, including all the headers. ------\n\n"
        "Return-path: <support@maison-lumiere.example>\n"
        "Received: from helpdesk01.maison-lumiere.example ([10.0.0.31])\n"
        "\tby smtp.maison-lumiere.example with esmtp (Exim 4.97)\n"
        "\t(envelope-from <support@maison-lumiere.example>)\n"
        "\tid 1rtUa2-000Bq4-1x\n"
        "\tfor c.bernard@ancien-fai.example; Wed, 10 Apr 2024 11:29:58 +0200\n"
        "Message-ID: <%s>\n"
        "Date: Wed, 10 Apr 2024 11:29:58 +0200\n"
        "From: =?utf-8?q?Maison_Lumi=C3=A8re?= <support@maison-lumiere.example>\n"
        "To: c.bernard@ancien-fai.example\n"
        "Subject: Re: Votre commande 40590\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "Bonjour,\n"
        "votre commande 40590 part demain.\n"
        "Maison Lumière\n" % ORIG_EXIM)
msg = Part([
    ("Return-Path", "<>"),
    ("Received", "from Debian-exim by smtp.maison-lumiere.example with local (Exim 4.97)\n"
                 "\tid 1rtUa8-000Bq9-2f\n\tfor support@maison-lumiere.example; %s" % d),
    ("X-Failed-Recipients", "c.bernard@ancien-fai.example"),
    ("Auto-Submitted", "auto-replied"),
    ("From", "Mail Delivery System <Mailer-Daemon@smtp.maison-lumiere.example>"),
    ("To", "support@maison-lumiere.example"),
    ("References", "<%s>" % ORIG_EXIM),
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Transfer-Encoding", "8bit"),
    ("Subject", "Mail delivery failed: returning message to sender"),
    ("Message-Id", "<E1rtUa8-000Bq9-2f@smtp.maison-lumiere.example>"),
    ("Date", d),
], body.encode("utf-8"))
keep("keep-16-exim-plain-text-bounce.eml", render(msg), "k-bounce-bernard", {
    "subject": "Mail delivery failed: returning message to sender",
    "from": "mailer-daemon@smtp.maison-lumiere.example",
    "date": iso,
    "automated_signals": ["Return-Path: <>", "From: Mailer-Daemon", "Auto-Submitted: auto-replied",
                          "X-Failed-Recipients"],
    "text_contains": "could not be delivered to one or more of its",
    "auto_reply": False,
    "kind": "bounce",
    "bounce_report": {
        "original_message_id": ORIG_EXIM,
        "final_recipient": "c.bernard@ancien-fai.example",
        "action": "failed",
        "status": "5.1.1",
        "reporting_mta": "smtp.maison-lumiere.example",
        "permanent": True,
        "diagnostic": "550 5.1.1 <c.bernard@ancien-fai.example>: Recipient address rejected: User unknown",
    },
    "note": "Exim's bounce is plain text, without RFC 3464 parts: the failed address is indented under "
            "\"The following address(es) failed:\", the reason under it, and a copy of our message (with its "
            "Message-ID) follows the \"This is a copy of the message\" line.",
}, automated=True, bounce=True)


# --- 2,000 nested multiparts: keep what is within the depth limit ------
d, iso = date(2024, 4, 10, 15, 45, 19, "+0200")
DEPTH = 2000
pdf_fact = pdf_bytes(["Facture F-2024-0410", "Suspension Opaline"], "Facture F-2024-0410")
inner = ["--n%d\nContent-Type: text/plain; charset=utf-8\n\nTexte au fond de la pile.\n--n%d--\n" % (DEPTH, DEPTH)]
for level in range(DEPTH - 1, 1, -1):
    inner.insert(0, "--n%d\nContent-Type: multipart/mixed; boundary=\"n%d\"\n\n" % (level, level + 1))
    inner.append("--n%d--\n" % level)
nested = "".join(inner)
bnd = "n1"
msg = Part([
    ("Return-Path", "<robot@generateur.example>"),
    received("relay.generateur.example", "198.51.100.200", MX, d, SUPPORT, "4VD0T91DeepZz9sp"),
    ("From", addr("Nathalie Perrin", "nathalie.perrin@generateur.example")),
    ("To", SUPPORT),
    ("Subject", "Facture F-2024-0410"),
    ("Date", d),
    ("Message-ID", "<20240410154519.deep@generateur.example>"),
    ("MIME-Version", "1.0"),
    ("Content-Type", 'multipart/mixed; boundary="%s"' % bnd),
], multipart_body(bnd, [
    text_part("Bonjour,\nvoici la facture F-2024-0410 de la suspension Opaline.\nNathalie Perrin\n", cte="8bit"),
    Part([("Content-Type", 'multipart/mixed; boundary="n2"')], nested),
    attachment(pdf_fact, "application/pdf", "facture-F-2024-0410.pdf"),
]))
keep("keep-17-nested-2000-deep.eml", render(msg), "k-facture-profonde", {
    "subject": "Facture F-2024-0410",
    "from": "nathalie.perrin@generateur.example",
    "date": iso,
    "text_contains": "voici la facture F-2024-0410",
    "text_contains_more": ["nested deeper than 20 levels"],
    "truncated": True,
    "attachments_lenient": [att_exp("facture-F-2024-0410.pdf", "application/pdf", pdf_fact)],
    "note": "2,000 nested multipart/mixed levels between the text and the invoice (a mail bomb, or a broken "
            "generator). Parse within the depth limit (20 levels by default): keep the text and the PDF "
            "around the nest, and say in the text that the deeper parts are not shown.",
})
