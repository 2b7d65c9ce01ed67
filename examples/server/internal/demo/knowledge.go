package demo

import (
	"context"
	"fmt"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/reply"
)

// docs are the demo knowledge base: the facts AI replies may quote.
var docs = []reply.Document{
	{Title: "FAQ — Livraison", Format: reply.FormatMarkdown, Body: "# Livraison\n\nLes commandes partent sous 48 h ouvrées depuis notre atelier de Montreuil.\n\n## Délais\n\nFrance métropolitaine : 2 à 4 jours ouvrés (Colissimo), livraison offerte dès 150 €.\nEurope (Italie, Belgique, Allemagne, Espagne) : 4 à 6 jours ouvrés.\n\n## Point relais\n\nLa livraison en point relais est proposée au moment du paiement, sans supplément."},
	{Title: "FAQ — Retours et remboursements", Format: reply.FormatMarkdown, Body: "# Retours\n\nVous disposez de 30 jours après réception pour nous retourner un article non utilisé, dans son emballage d'origine.\n\n## Remboursement\n\nLe remboursement est émis dans les 5 jours ouvrés suivant la réception du retour, sur le moyen de paiement d'origine.\n\n## Produit arrivé cassé\n\nEnvoyez-nous une photo du colis et de l'article : nous expédions un remplacement sous 48 h, sans retour nécessaire."},
	{Title: "FAQ — Factures et espace client", Format: reply.FormatMarkdown, Body: "# Factures\n\nLes factures sont envoyées par email à l'expédition et restent disponibles dans l'espace client, rubrique « Mes commandes ».\n\nPour une facture au nom d'une société, indiquez la raison sociale et le numéro de TVA : nous rééditons la facture sous 24 h."},
	{Title: "Showroom et rendez-vous", Format: reply.FormatMarkdown, Body: "# Showroom\n\n12 rue des Lumières, 75011 Paris. Ouvert du mardi au samedi, 10 h – 19 h.\n\nLes études d'éclairage à domicile se font sur rendez-vous, du lundi au vendredi, y compris en soirée jusqu'à 20 h."},
}

// SeedKnowledge adds the demo knowledge base if the tenant has none yet.
func SeedKnowledge(ctx context.Context, kb *reply.Knowledge) error {
	existing, err := kb.List(ctx, TenantID)
	if err != nil {
		return fmt.Errorf("demo: knowledge: %w", err)
	}
	if len(existing) > 0 {
		return nil
	}
	for _, d := range docs {
		if _, err := kb.Add(ctx, TenantID, d, inbox.Change{Actor: "claire"}); err != nil {
			return fmt.Errorf("demo: knowledge %q: %w", d.Title, err)
		}
	}
	return nil
}
