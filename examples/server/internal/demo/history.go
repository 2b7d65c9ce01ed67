package demo

import (
	"fmt"
	"math/rand/v2"

	"github.com/inboxkit/inboxkit/inbox"
)

// historyTopics are the requests of the demo's older, finished
// conversations: enough of them over the past weeks for the statistics
// page to show trends.
var historyTopics = []struct {
	Subject, Text, Answer string
	Folder                string
}{
	{"Où en est ma commande ?", "Bonjour, ma commande passée la semaine dernière n'est pas encore arrivée. Pouvez-vous vérifier la livraison ?", "Bonjour, votre colis est en cours de livraison et arrivera demain. Bonne journée !", "Commandes"},
	{"Modifier l'adresse de livraison", "Bonjour, puis-je changer l'adresse de livraison de ma commande ? Je déménage.", "C'est fait : la nouvelle adresse est enregistrée sur votre commande.", "Commandes"},
	{"Order confirmation", "Hello, I did not receive the confirmation of my order. Could you check?", "Hello! Your order is confirmed; the email is on its way again.", "Commandes"},
	{"RDV showroom", "Bonjour, je souhaite prendre rendez-vous au showroom mardi prochain.", "Avec plaisir, mardi à 11 h vous est réservé.", "Rendez-vous"},
	{"Étude d'éclairage", "Bonjour, est-il possible d'avoir un rendez-vous pour une étude d'éclairage de mon salon ?", "Bien sûr, un conseiller passera jeudi à 18 h.", "Rendez-vous"},
	{"Ampoule grillée", "Bonjour, l'ampoule de ma lampe ne fonctionne pas depuis deux jours.", "Nous vous envoyons une ampoule de remplacement aujourd'hui.", "Support"},
	{"Variateur qui grésille", "Bonjour, le variateur de ma suspension grésille et la lumière clignote.", "Il faut un variateur compatible LED : nous vous en offrons un.", "Support"},
	{"Remboursement", "Bonjour, j'attends le remboursement de mon retour, pouvez-vous vérifier ?", "Le remboursement a été émis ce matin.", "Facturation"},
	{"Invoice request", "Hello, could I get an invoice for my last purchase with my company name?", "Here is your invoice with your company details.", "Facturation"},
	{"Facture en double", "Bonjour, j'ai reçu deux factures pour la même commande.", "Désolés ! La seconde facture est annulée.", "Facturation"},
	{"Catalogue professionnel", "Bonjour, architecte d'intérieur, je voudrais votre catalogue professionnel.", "Voici notre catalogue et nos conditions pro.", "Partenariats"},
	{"Horaires d'ouverture", "Bonjour, êtes-vous ouverts le lundi ?", "Le showroom est ouvert du mardi au samedi, de 10 h à 19 h.", ""},
}

var historyNames = []string{"Antoine Mercier", "Julie Fabre", "Nicolas Perrin", "Manon Gauthier", "Thomas Robin", "Laura Clément",
	"Kevin Morin", "Pauline Henry", "James Carter", "Anna Müller", "Lucie Roche", "Maxime Faure", "Chloé Blanchard", "David Girard",
	"Sophie Lambert", "Olivia Brown", "Romain Lefebvre", "Emma Dupont", "Hugo Marchand", "Léo Picard"}

// historyThreads builds count finished conversations spread over the last
// days, deterministically.
func historyThreads(count, days int) []thread {
	rng := rand.New(rand.NewPCG(42, 2026))
	agents := []string{"hugo", "ines", "tom", "claire"}
	sources := []inbox.Source{inbox.SourceEmail, inbox.SourceEmail, inbox.SourceEmail, inbox.SourceSMS, inbox.SourceWhatsApp, inbox.SourceWebhook}
	out := make([]thread, 0, count)
	for i := range count {
		topic := historyTopics[rng.IntN(len(historyTopics))]
		name := historyNames[rng.IntN(len(historyNames))]
		src := sources[rng.IntN(len(sources))]
		from := inbox.Party{Name: name}
		switch src {
		case inbox.SourceSMS, inbox.SourceWhatsApp:
			from.Phone = fmt.Sprintf("+33 6 %02d %02d %02d %02d", 10+rng.IntN(89), rng.IntN(100), rng.IntN(100), rng.IntN(100))
			if src == inbox.SourceSMS {
				from.Name = ""
			}
		default:
			from.Email = fmt.Sprintf("client%03d@courriel.example", i)
		}
		age := 30 + rng.Float64()*float64(days*24-30) // hours ago
		answer := 0.15 + rng.ExpFloat64()*2.5         // hours to first answer
		resolve := answer + 0.2 + rng.ExpFloat64()*6  // hours to resolution
		answer, resolve = min(answer, age-1), min(resolve, age-0.5)
		th := thread{Key: fmt.Sprintf("h%03d", i), Source: src, From: from, Lines: []line{
			{Text: topic.Text, At: age},
			{Agent: true, Text: topic.Answer, At: age - answer},
		}, Status: inbox.StatusResolved, Assignee: agents[rng.IntN(len(agents))], Read: true, ResolveAfter: resolve}
		if src == inbox.SourceEmail || src == inbox.SourceWebhook {
			th.Subject = topic.Subject
		}
		if rng.IntN(4) == 0 {
			th.Status = inbox.StatusArchived
		}
		if topic.Folder != "" && rng.IntN(6) == 0 {
			th.Move = topic.Folder // an agent filed it by hand
		}
		out = append(out, th)
	}
	return out
}
