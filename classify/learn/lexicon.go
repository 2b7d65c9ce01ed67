package learn

import "strings"

// concepts maps word stems of French, English, German and Spanish to
// shared concept features, so that "facture", "invoice", "Rechnung" and
// "factura" reinforce each other: with a few hundred examples spread over
// four languages, each language alone has too few to learn from. The
// learner still learns per tenant which concepts mean which folder; the
// lexicon only says which words are translations of each other.
var concepts = []struct {
	concept string
	stems   []string
}{
	{"order", []string{"commande", "commander", "order", "bestell", "pedido", "achat", "purchase", "panier", "article", "artikel", "abonnement", "subscri", "suscrip", "souscri", "licence", "license", "lizenz", "licencia", "seat", "upgrade", "downgrade", "forfait", "abo", "stock", "rupture", "exemplaire"}},
	{"shipping", []string{"livr", "expedi", "colis", "suivi", "tracking", "parcel", "package", "ship", "deliver", "versand", "verschick", "paket", "lieferung", "liefer", "envio", "enviado", "llega", "transporteur", "relais", "retrait"}},
	{"cancel", []string{"annul", "cancel", "stornier", "anular", "absag"}},
	{"invoice", []string{"factur", "invoice", "rechnung", "receipt", "recu", "quittung", "avoir", "devis", "tva", "vat", "mwst", "iva", "nif", "siret"}},
	{"payment", []string{"paie", "paye", "pay", "zahl", "pago", "pagar", "preleve", "prelevement", "debit", "charged", "belast", "virement", "transfer", "uberweis", "transferencia", "cb", "carte", "card", "karte", "tarjeta", "rib", "iban", "paypal", "montant", "amount", "betrag", "importe", "echeanc", "relance", "impaye", "unpaid", "tresorerie"}},
	{"refund", []string{"rembours", "refund", "erstatt", "ruckerstatt", "reembols", "devolu"}},
	{"appointment", []string{"rendez", "rdv", "appointment", "termin", "cita", "creneau", "slot", "disponibilit", "available", "verfugbar", "disponible", "reserv", "book", "visite", "visit", "reunion", "meeting", "visio", "rencontre", "fitting"}},
	{"reschedule", []string{"decal", "report", "reschedul", "verschieb", "cambiar", "deplac", "late", "retard", "oubli"}},
	{"weekday", []string{"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "demain", "tomorrow", "morgen", "manana", "matin", "morning", "apres", "afternoon", "nachmittag", "tarde", "midi"}},
	{"account", []string{"compte", "account", "konto", "cuenta", "connect", "login", "log", "anmeld", "sesion", "mot", "passe", "password", "passwort", "contrasena", "authentif", "code", "token", "verif", "bloqu", "blocked", "gesperrt"}},
	{"malfunction", []string{"bug", "erreur", "error", "fehler", "crash", "plante", "absturz", "sturzt", "marche", "fonctionne", "work", "funktion", "funciona", "panne", "broken", "kaputt", "roto", "ecran", "screen", "bildschirm", "pantalla", "lent", "slow", "langsam", "lento", "install", "config", "mise", "update", "jour", "actualiz", "wifi", "internet", "bluetooth", "firmware", "application", "app", "logiciel", "software", "site", "website", "synchro", "api", "notification", "reboot", "redemarr", "allume", "enciende", "charge", "imprim", "printer", "router", "box", "borne", "tablette", "camera", "export", "outlook", "messagerie"}},
	{"complaint", []string{"decu", "deception", "disappoint", "enttausch", "decepcion", "mecontent", "unhappy", "unzufrieden", "insatisf", "inadmissible", "inacceptable", "unacceptable", "inakzeptabel", "inaceptable", "honte", "shame", "scandal", "reclam", "complain", "complaint", "beschwerde", "reklam", "queja", "litige", "plainte", "mediateur", "avocat", "demeure", "worst", "pire", "rude", "desagreable", "sauer", "verarg", "molest", "fatal", "marre", "excede", "serieux", "abim", "damag", "beschadig", "casse", "brise", "defectu", "defect", "defekt", "malfacon", "dedommag", "compens", "geste", "avis", "review", "conteste", "refuse", "ignore", "injoignable"}},
	{"marketing", []string{"offre", "offer", "angebot", "oferta", "promo", "remise", "discount", "rabatt", "descuento", "gratuit", "free", "kostenlos", "gratis", "webinar", "desinscri", "unsubscribe", "abmeld", "seo", "referencement", "ranking", "google", "leads", "prospect", "client", "clients", "kunden", "ventas", "sales", "vente", "agence", "agency", "agentur", "agencia", "partenariat", "partnership", "partner", "collaboration", "demo", "portfolio", "catalogue", "catalog", "plaquette", "simulation", "economis", "save", "garanti", "guarantee", "exclusi", "felicitation", "congrat", "gagne", "won", "cadeau", "gift", "clique", "click", "lien", "link", "investment", "crypto", "income", "revenu", "subvention", "cpf", "formation", "influenc", "inscri", "subscri", "tarif", "prix", "price", "precio", "preis", "mutuelle", "assurance", "leasing", "location", "fournisseur", "supplier", "proveedor", "usine", "factory", "fabrica"}},
}

// conceptOf returns the concept a folded word belongs to, if any: the
// first concept with a stem the word starts with (stems of three letters
// or fewer must match the whole word).
func conceptOf(word string) string {
	for _, c := range concepts {
		for _, stem := range c.stems {
			if len(stem) <= 3 {
				if word == stem {
					return c.concept
				}
				continue
			}
			if strings.HasPrefix(word, stem) {
				return c.concept
			}
		}
	}
	return ""
}
