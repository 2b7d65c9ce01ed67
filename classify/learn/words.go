package learn

// stopWords are frequent French, English, German and Spanish words that
// say nothing about a message's topic, folded (no accents) like the text.
var stopWords = setOf(`
a au aux avec ce ces cet cette dans de des du elle en et eux il ils je j jai la le les leur lui ma mais me mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous c d l m n s t y est sont suis ai as avons avez ont etait ete etre avoir fait faire
bonjour bonsoir salut coucou merci cordialement madame monsieur svp stp re oui non tres plus bien aussi comme tout tous toute toutes deja encore
the a an and or of to in on at for with from by is are was were be been am it its this that these those i me my we our you your he she they them his her
hi hello hey thanks thank please regards dear best can could would will just so do does did have has had not no yes
der die das den dem des ein eine einen einem und oder zu im in am an auf mit von fur ist sind war ich mich mir wir sie ihr ihnen es nicht ja nein hallo danke bitte gruße grusse viele freundlichen guten tag sehr geehrte damen herren
el la los las un una unos unas y o de del al en con por para es son fue yo me mi mis tu su sus nos nosotros que se lo le les no si hola gracias buenos buenas dias tardes
`)

// abbreviations expands SMS and chat shorthand before features are made,
// so "ma cmd est ou" and "ma commande est ou" look alike.
var abbreviations = map[string]string{
	"cmd": "commande", "cmde": "commande", "cde": "commande", "commade": "commande",
	"rdv": "rendez vous", "rdvs": "rendez vous",
	"fact": "facture", "fac": "facture",
	"rembourse": "remboursement", "rembour": "remboursement", "remb": "remboursement",
	"mdp": "mot passe", "pwd": "password",
	"maj": "mise jour", "appli": "application", "app": "application",
	"co": "connecter", "deco": "deconnecter",
	"tjr": "toujours", "tjrs": "toujours", "tjs": "toujours",
	"pr": "pour", "pk": "pourquoi", "pq": "pourquoi", "qd": "quand", "qq": "quelque",
	"bjr": "bonjour", "bsr": "bonsoir", "slt": "salut", "cc": "coucou",
	"dsl": "desole", "jsp": "sais pas", "mtn": "maintenant", "auj": "aujourd'hui",
	"c": "c'est", "g": "j'ai", "jvoudrais": "voudrais", "jpeux": "peux", "jarrive": "arrive",
	"vs": "vous", "ts": "tous", "msg": "message", "num": "numero", "n°": "numero",
	"pls": "please", "plz": "please", "u": "you", "ur": "your", "asap": "urgent",
	"thx": "thanks", "pkg": "package", "acct": "account",
}

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	start := -1
	for i := 0; i <= len(words); i++ {
		if i == len(words) || words[i] == ' ' || words[i] == '\n' {
			if start >= 0 {
				m[words[start:i]] = true
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return m
}
