#!/usr/bin/env python3
"""Builds ../companies.jsonl from the hand-written messages in *.txt.

Each .txt file is one fictional company. Its header lines map the six
comparable categories to the company's own folder names:

    #folder orders=Commandes
    #sender-domain lumiere-co.fr

Every other non-empty line that does not start with '#' is one message:

    category|intent|urgency|channel|language|sender|subject|text

category is orders, billing, appointments, complaints, spam or other; intent
one of order, invoice, appointment, complaint, cancellation, question, spam,
other; urgency 0-3 (see ../README.md). An empty sender is made up (a plausible
address or phone number for the language); "¶" in text is a line break.
Only what is deterministic is added: email senders, and for about a third of
emails without a signature a signature picked from a pool of names. Run it
with no arguments after editing a .txt file; it is not needed to run the tests.
"""
import glob, json, os, random, sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "companies.jsonl")
CATEGORIES = {"orders", "billing", "appointments", "complaints", "spam", "other"}
INTENTS = {"order", "invoice", "appointment", "complaint", "cancellation", "question", "spam", "other"}

FIRST = {
    "fr": ["Marie", "Julien", "Sophie", "Karim", "Nathalie", "Thomas", "Aurélie", "Mehdi", "Camille", "Philippe", "Chloé", "Yannick", "Inès", "Bernard"],
    "en": ["Emma", "James", "Olivia", "Liam", "Priya", "George", "Hannah", "Tom", "Aisha", "Daniel"],
    "de": ["Anna", "Lukas", "Sabine", "Jonas", "Katrin", "Matthias", "Leonie", "Stefan", "Jürgen", "Miriam"],
    "es": ["Lucía", "Javier", "Carmen", "Pablo", "Elena", "Diego", "Marta", "Sergio", "Rocío", "Andrés"],
}
LAST = {
    "fr": ["Martin", "Bernard", "Dubois", "Moreau", "Lefèvre", "Garnier", "Roux", "Benali", "Fontaine", "Caron", "Perrin", "Nguyen"],
    "en": ["Smith", "Taylor", "Brown", "Wilson", "Patel", "Clarke", "Evans", "Hughes", "Walker", "Khan"],
    "de": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann", "Schäfer", "Koch"],
    "es": ["García", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Ruiz", "Díaz", "Moreno"],
}
MAIL = {
    "fr": ["gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr", "sfr.fr", "outlook.fr", "wanadoo.fr"],
    "en": ["gmail.com", "outlook.com", "yahoo.co.uk", "btinternet.com", "icloud.com", "hotmail.co.uk"],
    "de": ["gmx.de", "web.de", "t-online.de", "gmail.com", "posteo.de", "freenet.de"],
    "es": ["gmail.com", "hotmail.es", "yahoo.es", "telefonica.net", "outlook.es"],
}
PHONE = {"fr": ("33", ["6", "7"]), "en": ("44", ["7"]), "de": ("49", ["151", "160", "176"]), "es": ("34", ["6", "7"])}
SIGNOFF = {
    "fr": ["Cordialement,", "Bien à vous,", "Merci d'avance,", "Bonne journée,", "Cdlt", "Bien cordialement,"],
    "en": ["Best regards,", "Thanks,", "Kind regards,", "Cheers,", "Many thanks,"],
    "de": ["Mit freundlichen Grüßen", "Viele Grüße", "Beste Grüße", "MfG", "Danke und Gruß"],
    "es": ["Un saludo,", "Saludos cordiales,", "Gracias de antemano,", "Atentamente,", "Un abrazo,"],
}
MOBILE = {"fr": "Envoyé de mon iPhone", "en": "Sent from my iPhone", "de": "Von meinem iPhone gesendet", "es": "Enviado desde mi iPhone"}


def fold_ascii(s):
    import unicodedata
    s = s.replace("ß", "ss").replace("œ", "oe")
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def main():
    rows = []
    for path in sorted(glob.glob(os.path.join(HERE, "*.txt"))):
        company = os.path.splitext(os.path.basename(path))[0]
        rnd = random.Random(company)
        folders = {}
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            line = line.rstrip("\n")
            if line.startswith("#folder "):
                k, v = line[len("#folder "):].split("=", 1)
                folders[k.strip()] = v.strip()
                continue
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("|", 7)
            if len(parts) != 8:
                sys.exit(f"{path}:{n}: want 8 fields, got {len(parts)}")
            cat, intent, urg, ch, lang, sender, subject, text = (p.strip() for p in parts)
            if cat not in CATEGORIES or intent not in INTENTS or urg not in "0123" or ch not in ("email", "sms", "whatsapp") or lang not in FIRST:
                sys.exit(f"{path}:{n}: bad label in {parts[:5]}")
            text = text.replace("¶", "\n")
            if not sender:
                first, last = rnd.choice(FIRST[lang]), rnd.choice(LAST[lang])
                if ch == "email":
                    local = rnd.choice(["{f}.{l}", "{f}{l}", "{fi}.{l}", "{f}.{l}{y}", "{l}.{f}"]).format(
                        f=first, l=last, fi=first[0], y=rnd.randint(60, 99))
                    sender = fold_ascii(local).lower().replace(" ", "") + "@" + rnd.choice(MAIL[lang])
                    if cat != "spam" and rnd.random() < 0.35 and "\n" in text and not text.rstrip().endswith(first):
                        sig = rnd.choice(SIGNOFF[lang]) + "\n" + first + " " + last
                        if rnd.random() < 0.25:
                            sig += "\n\n" + MOBILE[lang]
                        text = text.rstrip() + "\n\n" + sig
                else:
                    cc, prefixes = PHONE[lang]
                    p = rnd.choice(prefixes)
                    sender = cc + p + "".join(str(rnd.randint(0, 9)) for _ in range(9 - len(p)))
            rows.append({
                "id": f"{company}-{n:04d}", "company": company, "text": text, "subject": subject,
                "channel": ch, "sender": sender, "folder": folders[cat], "category": cat,
                "intent": intent, "urgency": int(urg), "language": lang,
            })
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} messages to {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
