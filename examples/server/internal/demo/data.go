package demo

import "github.com/inboxkit/inboxkit/inbox"

// TenantID is the demo tenant's id.
const TenantID inbox.TenantID = "maison-lumiere"

// Password is every demo account's password.
const Password = "lumiere-demo"

// Employee is a demo account.
type Employee struct {
	ID, Name, Email string
	Admin           bool
}

// Employees are the demo accounts: one admin and three agents.
var Employees = []Employee{
	{ID: "claire", Name: "Claire Martin", Email: "claire@maison-lumiere.example", Admin: true},
	{ID: "hugo", Name: "Hugo Bernard", Email: "hugo@maison-lumiere.example"},
	{ID: "ines", Name: "Inès Moreau", Email: "ines@maison-lumiere.example"},
	{ID: "tom", Name: "Tom Walker", Email: "tom@maison-lumiere.example"},
}

// folderSpec is a demo folder with its rules.
type folderSpec struct {
	Name, Description, Rules string
}

var folders = []folderSpec{
	{"Commandes", "Orders: status, delivery, changes and cancellations of an order.",
		`{"any":[{"field":"subject","op":"contains","value":"commande"},{"field":"body","op":"contains","value":"commande"},{"field":"body","op":"contains","value":"my order"},{"field":"body","op":"contains","value":"livraison"}]}`},
	{"Rendez-vous", "Appointments at the showroom or for a lighting study at home.",
		`{"any":[{"field":"subject","op":"contains","value":"RDV"},{"field":"body","op":"contains","value":"rendez-vous"},{"field":"body","op":"contains","value":"appointment"}],"actions":{"intent":"appointment","tags":["agenda"]}}`},
	{"Support", "Something does not work: broken product, installation help, defects.",
		`{"all":[{"any":[{"field":"body","op":"contains","value":"ne fonctionne pas"},{"field":"body","op":"contains","value":"ne marche"},{"field":"body","op":"contains","value":"broken"},{"field":"body","op":"contains","value":"cassé"},{"field":"body","op":"contains","value":"clignote"}]},{"none":[{"field":"sender_domain","op":"equals","value":"maison-lumiere.example"}]}],"actions":{"status":"urgent","tags":["sav"]}}`},
	{"Facturation", "Invoices, refunds, payment problems.",
		`{"any":[{"field":"body","op":"contains","value":"facture"},{"field":"body","op":"contains","value":"invoice"},{"field":"body","op":"contains","value":"rembours"},{"field":"body","op":"contains","value":"refund"}]}`},
	{"Partenariats", "Professionals: architects, decorators, press and suppliers.", ""},
}

// line is one message of a demo thread.
type line struct {
	// Agent marks our own answer (ingested as sent mail, so the thread
	// keeps its chronology).
	Agent bool
	Text  string
	// At is the message's age in hours.
	At float64
}

// thread is one demo conversation.
type thread struct {
	Key     string
	Source  inbox.Source
	From    inbox.Party
	Subject string
	Lines   []line
	// After ingest:
	Status   inbox.Status
	Assignee string
	Move     string // folder name an agent moved it to
	Read     bool
	Tags     []string
	Note     *noteSpec
	Task     string
	FollowUp *followSpec
	Draft    string // a pending AI draft
	// ResolveAfter is how many hours after the first message the status
	// was set (history threads); 0 means at the last message.
	ResolveAfter float64
}

type noteSpec struct {
	By, Body string
}

type followSpec struct {
	By        string
	InHours   float64
	Note      string
	IfNoReply bool
}

var threads = []thread{
	{Key: "t01", Source: inbox.SourceEmail, From: inbox.Party{Name: "Éléonore Dubois", Email: "eleonore.dubois@courriel.example"},
		Subject: "Suivi de ma commande n° 48213",
		Lines:   []line{{Text: "Bonjour,\n\nJ'ai passé commande de la suspension « Opaline » (commande n° 48213) il y a dix jours et je n'ai toujours pas reçu d'avis d'expédition. Pourriez-vous me dire où en est la livraison ?\n\nMerci d'avance,\nÉléonore Dubois", At: 30}},
		Status:  inbox.StatusNew, Assignee: "", Tags: []string{"opaline"}},
	{Key: "t02", Source: inbox.SourceEmail, From: inbox.Party{Name: "Marc Lefèvre", Email: "marc.lefevre@atelier-lefevre.example"},
		Subject: "RDV showroom samedi ?",
		Lines: []line{
			{Text: "Bonjour,\n\nEst-il possible de prendre rendez-vous au showroom samedi matin pour voir vos appliques en laiton ? Nous rénovons un appartement haussmannien.\n\nCordialement,\nMarc Lefèvre", At: 50},
			{Agent: true, Text: "Bonjour Monsieur Lefèvre,\n\nAvec plaisir : samedi à 10 h 30 vous conviendrait-il ? Nous préparerons les appliques « Haussmann » et « Rivoli ».\n\nBien à vous,\nInès — Maison Lumière", At: 46},
			{Text: "Parfait, 10 h 30 samedi. À samedi !", At: 44}},
		Status: inbox.StatusOpen, Assignee: "ines", Read: true,
		FollowUp: &followSpec{By: "ines", InHours: 40, Note: "Confirmer le RDV la veille par téléphone"}},
	{Key: "t03", Source: inbox.SourceSMS, From: inbox.Party{Phone: "+33 6 12 34 56 78"},
		Lines:  []line{{Text: "Bonjour, la lampe Arc achetée la semaine dernière clignote et ne fonctionne pas depuis hier soir. Que faire ?", At: 3}},
		Status: inbox.StatusUrgent, Assignee: "hugo",
		Note: &noteSpec{By: "hugo", Body: "Probablement l'ampoule LED G9 du lot défectueux. @claire on peut proposer un échange express ?"},
		Task: "Envoyer une ampoule G9 de remplacement"},
	{Key: "t04", Source: inbox.SourceWhatsApp, From: inbox.Party{Name: "Sofia Rossi", Phone: "+39 347 555 0199"},
		Lines: []line{
			{Text: "Hello! Do you ship the Opaline pendant to Milan? And how long does delivery take?", At: 20},
			{Agent: true, Text: "Hi Sofia! Yes, we ship to Italy: 4 to 6 working days, free above €150.", At: 19},
			{Text: "Great, I'll place my order tonight 🙂", At: 18.5}},
		Status: inbox.StatusResolved, Assignee: "tom", Read: true},
	{Key: "t05", Source: inbox.SourceEmail, From: inbox.Party{Name: "Julien Garnier", Email: "j.garnier@mailbox.example"},
		Subject: "Facture manquante",
		Lines:   []line{{Text: "Bonjour,\n\nJe n'ai pas reçu la facture de mon achat du 3 novembre (lampadaire « Nuage »). Mon entreprise en a besoin pour le remboursement de mes frais. Pouvez-vous me l'envoyer ?\n\nMerci,\nJulien Garnier", At: 26}},
		Status:  inbox.StatusNew, Assignee: "claire",
		Draft: "Bonjour Monsieur Garnier,\n\nVous trouverez ci-joint la facture de votre commande du 3 novembre (lampadaire « Nuage »). Elle est également disponible dans votre espace client, rubrique « Mes commandes ».\n\nNous restons à votre disposition,\nL'équipe Maison Lumière"},
	{Key: "t06", Source: inbox.SourceEmail, From: inbox.Party{Name: "Amélie Chevalier", Email: "amelie@studio-chevalier.example"},
		Subject: "Partenariat architectes d'intérieur",
		Lines:   []line{{Text: "Bonjour,\n\nNous sommes un studio d'architecture intérieure à Lyon et aimerions connaître vos conditions pour les professionnels (remise, prêt d'échantillons).\n\nBelle journée,\nAmélie Chevalier", At: 72}},
		Status:  inbox.StatusOpen, Assignee: "claire", Move: "Partenariats", Read: true,
		Task: "Préparer la grille tarifaire pro 2027"},
	{Key: "t07", Source: inbox.SourceSMS, From: inbox.Party{Phone: "+33 7 81 22 33 44"},
		Lines:  []line{{Text: "Bonjour, je voudrais un rendez-vous pour une étude d'éclairage à domicile, plutôt en semaine après 18h. Merci", At: 8}},
		Status: inbox.StatusNew},
	{Key: "t08", Source: inbox.SourceEmail, From: inbox.Party{Name: "Oliver Bennett", Email: "oliver.bennett@postbox.example"},
		Subject: "Broken glass shade on arrival",
		Lines:   []line{{Text: "Hello,\n\nMy Opaline pendant arrived today but the glass shade is broken — the box was clearly crushed. I attached photos to my previous message on your website form. Could you send a replacement?\n\nThanks,\nOliver", At: 5}},
		Status:  inbox.StatusUrgent, Assignee: "tom", Tags: []string{"transporteur"}},
	{Key: "t09", Source: inbox.SourceWhatsApp, From: inbox.Party{Name: "Nadia Benali", Phone: "+33 6 55 44 33 22"},
		Lines: []line{
			{Text: "Bonjour ! Ma commande 48377 indique « livrée » mais je n'ai rien reçu…", At: 12},
			{Agent: true, Text: "Bonjour Nadia, je regarde avec le transporteur et je reviens vers vous dans la matinée.", At: 11},
			{Text: "Merci beaucoup", At: 10.8}},
		Status: inbox.StatusOpen, Assignee: "hugo", Read: true,
		FollowUp: &followSpec{By: "hugo", InHours: 2, Note: "Relancer Colissimo pour la 48377", IfNoReply: true}},
	{Key: "t10", Source: inbox.SourceEmail, From: inbox.Party{Name: "Camille Roux", Email: "camille.roux@courriel.example"},
		Subject: "Demande de remboursement",
		Lines: []line{
			{Text: "Bonjour,\n\nJ'ai renvoyé l'applique « Rivoli » le 12 novembre (retour n° R-2291). Quand serai-je remboursée ?\n\nCamille Roux", At: 140},
			{Agent: true, Text: "Bonjour Madame Roux,\n\nNous avons bien reçu votre retour ; le remboursement a été émis ce matin et apparaîtra sous 3 à 5 jours ouvrés.\n\nCordialement,\nClaire — Maison Lumière", At: 120}},
		Status: inbox.StatusResolved, Assignee: "claire", Read: true},
	{Key: "t11", Source: inbox.SourceWebhook, From: inbox.Party{Name: "Lucas Petit", Email: "lucas.petit@webmail.example"},
		Subject: "Formulaire de contact : question sur les variateurs",
		Lines:   []line{{Text: "Vos ampoules filament sont-elles compatibles avec un variateur Legrand Céliane ? Je voudrais équiper tout le salon.", At: 16}},
		Status:  inbox.StatusNew},
	{Key: "t12", Source: inbox.SourceEmail, From: inbox.Party{Name: "Hannah Schmidt", Email: "hannah.schmidt@mail.example"},
		Subject: "Change my order before shipping",
		Lines:   []line{{Text: "Hi,\n\nI ordered two Nuage floor lamps yesterday (order 48402). Could I change one of them to the smaller model before it ships?\n\nBest regards,\nHannah", At: 9}},
		Status:  inbox.StatusOpen, Assignee: "tom"},
	{Key: "t13", Source: inbox.SourceSMS, From: inbox.Party{Phone: "+33 6 98 76 54 32"},
		Lines: []line{
			{Text: "Bonjour, je confirme mon RDV de jeudi 15h au showroom. Pascal", At: 30},
			{Agent: true, Text: "Merci Pascal, à jeudi 15h !", At: 29}},
		Status: inbox.StatusResolved, Assignee: "ines", Read: true},
	{Key: "t14", Source: inbox.SourceEmail, From: inbox.Party{Name: "Newsletter Déco Hebdo", Email: "news@deco-hebdo.example"},
		Subject: "Les tendances luminaires de l'hiver",
		Lines:   []line{{Text: "Découvrez les 10 tendances luminaires de l'hiver… Se désinscrire : https://deco-hebdo.example/unsubscribe", At: 40}},
		Status:  inbox.StatusSpam},
	{Key: "t15", Source: inbox.SourceEmail, From: inbox.Party{Name: "Bertrand Morel", Email: "b.morel@entreprise.example"},
		Subject: "Devis éclairage bureaux (40 postes)",
		Lines:   []line{{Text: "Bonjour,\n\nNous aménageons un plateau de bureaux de 40 postes et souhaiterions un devis pour des suspensions acoustiques et des lampes de bureau. Un rendez-vous sur place serait idéal.\n\nBertrand Morel\nServices généraux", At: 55}},
		Status:  inbox.StatusOpen, Assignee: "claire", Read: true,
		Note: &noteSpec{By: "claire", Body: "Gros potentiel. @hugo peux-tu préparer une sélection de suspensions acoustiques ?"}},
	{Key: "t16", Source: inbox.SourceWhatsApp, From: inbox.Party{Name: "Léa Fontaine", Phone: "+33 6 11 22 33 44"},
		Lines:  []line{{Text: "Coucou ! Vous avez encore la lampe Champignon en vert sauge ? 🌿", At: 2}},
		Status: inbox.StatusNew},
	{Key: "t17", Source: inbox.SourceEmail, From: inbox.Party{Name: "Paul Girard", Email: "paul.girard@courriel.example"},
		Subject: "La télécommande ne marche plus",
		Lines:   []line{{Text: "Bonjour,\n\nLa télécommande du plafonnier « Halo » ne marche plus malgré des piles neuves. Le plafonnier a 8 mois, il est donc sous garantie.\n\nPaul Girard", At: 36}},
		Status:  inbox.StatusOpen, Assignee: "hugo",
		Task: "Vérifier le stock de télécommandes Halo"},
	{Key: "t18", Source: inbox.SourceEmail, From: inbox.Party{Name: "Isabelle Laurent", Email: "isabelle.laurent@mail.example"},
		Subject: "Merci !",
		Lines:   []line{{Text: "Bonjour,\n\nJuste un mot pour vous dire que la suspension est magnifique dans notre cuisine. Merci pour vos conseils au showroom !\n\nIsabelle", At: 90}},
		Status:  inbox.StatusArchived, Read: true},
	{Key: "t19", Source: inbox.SourceSMS, From: inbox.Party{Phone: "+33 6 45 67 89 01"},
		Lines:  []line{{Text: "Bonjour, où en est ma commande 48390 ? Livraison prévue quand ?", At: 1.5}},
		Status: inbox.StatusNew},
	{Key: "t20", Source: inbox.SourceEmail, From: inbox.Party{Name: "Emma Wilson", Email: "emma.wilson@inbox.example"},
		Subject: "Invoice for my company",
		Lines: []line{
			{Text: "Hello,\n\nCould you re-issue invoice F-2026-1187 with my company name (Wilson Design Ltd) and VAT number?\n\nThank you,\nEmma", At: 28},
			{Agent: true, Text: "Hello Emma,\n\nOf course — could you send us the VAT number so we can re-issue the invoice?\n\nBest,\nTom — Maison Lumière", At: 27},
			{Text: "Sure: GB 123 4567 89. Thanks!", At: 4}},
		Status: inbox.StatusOpen, Assignee: "tom"},
	{Key: "t21", Source: inbox.SourceWebhook, From: inbox.Party{Name: "Chloé Mercier", Email: "chloe.mercier@webmail.example"},
		Subject: "Formulaire de contact : liste de naissance",
		Lines:   []line{{Text: "Proposez-vous des cartes cadeaux ? Je voudrais en offrir une pour une liste de naissance.", At: 60}},
		Status:  inbox.StatusResolved, Assignee: "ines", Read: true},
	{Key: "t22", Source: inbox.SourceWhatsApp, From: inbox.Party{Name: "Karim Haddad", Phone: "+33 7 66 55 44 33"},
		Lines:  []line{{Text: "Bonjour, l'abat-jour que j'ai reçu est cassé, je peux vous envoyer une photo ici ?", At: 0.7}},
		Status: inbox.StatusUrgent},
	{Key: "t23", Source: inbox.SourceEmail, From: inbox.Party{Name: "Sarah Cohen", Email: "sarah.cohen@courriel.example"},
		Subject: "Question sur la livraison en point relais",
		Lines:   []line{{Text: "Bonjour,\n\nEst-il possible de se faire livrer en point relais plutôt qu'à domicile ? Je ne suis jamais chez moi en journée.\n\nSarah", At: 100}},
		Status:  inbox.StatusResolved, Assignee: "hugo", Read: true},
	{Key: "t24", Source: inbox.SourceEmail, From: inbox.Party{Name: "Vincent Blanc", Email: "vincent.blanc@bureau.example"},
		Subject: "Salon Maison & Objet : rencontre ?",
		Lines:   []line{{Text: "Bonjour,\n\nJe suis acheteur pour une chaîne d'hôtels-boutiques ; serez-vous présents au salon Maison & Objet en janvier ? J'aimerais vous y rencontrer.\n\nVincent Blanc", At: 150}},
		Status:  inbox.StatusOpen, Move: "Partenariats", Assignee: "claire", Read: true},
}
