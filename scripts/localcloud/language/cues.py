"""Curated, per-language cue lists for the offline sentiment judge (:mod:`.sentiment`).

Written for this project (MIT-0, like the rest of it) by reading chat the way a moderator does:
nothing here is copied from a third-party lexicon. They complement the packages the judge
uses (safetype's rule packs, VADER on an English translation) where those are blind:

- ``hostile``: phrases aimed at a person that no package rule catches — "ich hasse dich",
  "vete al infierno", threats, "go back to ...". A hit is the strongest signal there is.
- ``insults``: words that insult a person ("Vollidiot", "imbécil", "coglione"). A hit is hostile
  when the text addresses someone (a second-person word, or a short vocative message such as
  "Muori, bastardo"); otherwise it counts as profanity.
- ``profanity``: swearing not aimed at anyone ("joder", "cazzo", "Scheiße"). Weak on its own: a
  clearly happy message that swears ("Scheiße, wir haben gewonnen!!! 🎉") is not refused.
- ``positive`` / ``negative``: polarity words, including chat slang that an English lexicon
  misreads after translation ("brutal", "una bomba", "une tuerie", "der Wahnsinn", "mega").
  They are the whole polarity signal where no translation exists (German; any of es/fr/it/pt
  when the translator is down), and a correction on top of VADER where one does.
- ``negators``: words that flip the polarity word right after them ("nicht gut", "kein
  Problem").
- ``second_person``: words that show the text addresses someone.
- ``benign``: words of contexts where negative-looking words are neutral or praise — technical
  talk ("process", "build", "log": "kill the process", "the job died"), games and sport ("boss",
  "match", "goal": "we destroyed the boss"), food and praise idioms ("de muerte", "da urlo", "à
  tomber", "zum Niederknien"), laughter ("mort de rire", "tot vor Lachen"). In such a context
  negativity that comes only from the lexicon (VADER on the English, the ``negative`` words) is
  not counted; hostility and negative emoji still are.
- ``affection``: words of warmth between friends ("congrats", "te quiero", "j'adore", "troppo
  forte"). With a positive emoji they make a friendly insult ("you idiot, you did it 😂
  congrats!") weak evidence, like swearing, instead of hostility.

:data:`HOSTILE_PATTERNS` adds hostility without any hostile word: regular expressions per
language and category — a threat aimed at "you" ("I know where you live", "you'll regret
this"), exclusion ("go back to your country"), a wish of harm ("hope you fall down the
stairs", "the world would be better without you") and generalisations about a group ("they
are all thieves").

Format: one phrase per entry, lower case, accents optional (matching folds them away); words
separated by spaces; a trailing ``*`` on a word matches any ending ("vollidiot*" matches
"Vollidioten"). Entries are matched on whole words only, so "die" (the German article) can never
match anything it is not.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "BENIGN_PATTERNS",
    "CENSORED_SLURS",
    "CUES",
    "ENGLISH_REWRITES",
    "HOSTILE_PATTERNS",
    "NEGATIVE_EMOJI",
    "POSITIVE_EMOJI",
    "SARCASM",
    "SARCASM_MARKERS",
]

Cues = Mapping[str, tuple[str, ...]]


def _split(block: str) -> tuple[str, ...]:
    """Entries one per line (or ``;``-separated), blank lines ignored."""
    return tuple(
        entry.strip() for line in block.splitlines() for entry in line.split(";") if entry.strip()
    )


CUES: Mapping[str, Cues] = {
    "en": {
        "hostile": _split("""
            i hate you; i hate u; go to hell; die in a fire; drop dead; get lost; fuck off; f off
            shut up; shut your mouth; shut your face; piss off; screw you; go fuck yourself
            i will kill you; i'll kill you; i will find you; break your face; smash your face
            nobody wants you; no one wants you; everyone hates you; you disgust me
            should be thrown out; should be deported; go back to your country; are vermin
            are animals; are parasites; your mother is; stfu; gtfo; should be shot
            should be killed; deserve to die; waste of oxygen; waste of space
            you're a joke; you are a joke; ur a joke; nobody cares what you think
            no one cares what you think; nobody asked you; crawl back under your rock
            crawl back into your hole; kys; kill yourself
            faggot*
        """),
        "insults": _split("""
            idiot*; moron*; imbecile*; stupid; dumb; dumbest; retard*; loser*; scum*; scumbag*
            clown; pathetic; worthless; useless; disgusting; ugly; cow; pig; bitch*; whore*
            asshole*; bastard*; jerk*; freak*; trash; garbage; dickhead*; twat*; cunt*
            spineless; coward*; weasel*; worm; maggot*; donkey; brainless; halfwit*; nitwit*
            numpty; muppet; lowlife*; parasite*
            creep*; braindead; tosser*; wanker*; prick*; douche*; dumbass*; degenerate*
            fag; fags
        """),
        "profanity": _split(
            "fuck*; shit*; damn; damned; dammit; damnit; crap*; bloody hell; wtf; omfg"
        ),
        "positive": _split("""
            thanks; thank you; thx; ty; congrats; congratulations; happy birthday; love it
            great; awesome; amazing; nice; cool; lol; lmao; haha*; won; we won; yay; woohoo
            is sick; so sick; that's sick; looks sick; insane; killing it; killed it; badass
            lit; fire; goat; dope; wicked; no worries; no problem
        """),
        "negative": _split("""
            sad; awful; terrible; horrible; worst; hate; disappointed; annoying; exhausted
            lonely; broke; broken; crashing; failed; cancelled; canceled; delayed; miss
        """),
        "negators": _split("not; no; never; don't; didn't; isn't; wasn't; can't"),
        "second_person": _split("you; u; ur; your; you're; youre; yourself; ya; yall"),
        "benign": _split("""
            process*; server*; container*; docker; kubectl; pod; pods; build; builds; job; jobs
            cron; pipeline*; deploy*; redeploy*; stack; terraform; script*; log; logs; traceback
            stacktrace; segfault; segmentation; exception*; bug; bugs; debug*; test; tests; branch
            commit*; repo; code; tmux; session; terminal; command; query; migration*; daemon
            vm; cluster*; database*; cache; tab; tabs; browser; compil*; kernel; worker*
            thread*; instance*; node; git; lint*; api; endpoint*; timeout*; restart*; reboot*
            boss; level; raid; match; game; games; gg; opponent*; team; league; tournament
            striker; goal; goals; karaoke; song; album; track; gig; concert; trailer; record
            cake; pizza; food; dish; meal; dessert; cookies; cheese; burger; pasta; recipe
            to die for; dangerously good; sinfully good; laughing; laughter; crying laughing
            lol; lmao; rofl; haha*
            movie; movies; film; films; watched; rewatched; rewatching; cinema; netflix
            episode; series; classic; classics; battle; war; history; historical; documentary
            century; soldiers; striker; defender; defences; defenses; season
            garbage collector; garbage collection
        """),
        "affection": _split("""
            congrats; congratulations; love you; love ya; proud of you; you did it; made my day
            you're the best; legend; genius; well done; thank you; thanks; you actually did it
        """),
    },
    "es": {
        "hostile": _split("""
            te odio; os odio; vete al infierno; vete a la mierda; vete a la verga; que te den
            que te jodan; jodete; callate; cierra la boca; cierra el pico; largate; piérdete
            te voy a matar; te mato; te voy a partir; te parto la cara; ojala te mueras
            muerete; nadie te quiere; me das asco; que asco me das; hijo de puta; hija de puta
            son una plaga; son basura; hay que echarlos; fuera de mi pais; no vales para nada
            no vales nada; me cago en tu; no sirves para nada; no sirves pa nada
            matate; suicidate
        """),
        "insults": _split("""
            idiota*; imbecil*; estupid*; tonto; tonta; subnormal*; gilipollas; inutil*
            payaso*; basura; asqueros*; cabron*; pendej*; zorra*; puta; puto; maldit*
            retrasad*; mongol*; pringad*; capullo*; mamon*; cerd*; perdedor*; patetic*
            fracasad*; bocazas; desgraciad*; mierdas; pelele*; mamarracho*; cobarde*
            rastrero*; inepto*; gusano*; parasito*; don nadie; muerto de hambre; lameculos
            pringao; sudaca*
        """),
        "profanity": _split("joder; hostia*; mierda; coño; carajo; cojones; puta madre"),
        "positive": _split("""
            gracias; genial; increible; brutal; que pasada; una pasada; de puta madre
            mola; me encanta; guay; chulo; enhorabuena; felicidades; feliz; jaja*; bien
            hemos ganado; ganamos; buenisim*; buen*; bonit*; perfecto; vale; tranquilo
            no pasa nada; crack; top; bravo; que bueno; de muerte; de lujo
        """),
        "negative": _split("""
            triste; horrible; fatal; pesim*; decepcion*; aburrid*; agotad*; cansad*; roto
            rota; cancelad*; retraso; suspendid*; echo de menos; murio; muerto
            odio; asco; malo; mala; peor; pesadez; un rollo; se cuelga
        """),
        "negators": _split("no; nunca; jamas; ni; sin"),
        "second_person": _split("tu; te; ti; eres; sos; vos; usted; tus; contigo; os; vosotros"),
        "benign": _split("""
            proceso*; servidor*; contenedor*; build; job; script*; log; logs; pipeline; despliegue
            codigo; rama; commit; test; tests; pestana; sesion; terminal; base de datos
            jefe final; boss; partida; partido; juego; equipo; rival*; gol; golazo; cancion
            concierto; disco; tarta; pastel; paella; jamon; comida; plato; pizza; de muerte
            de vicio; de risa; me muero de risa; para chuparse los dedos; de rechupete
            para morirse; jaja*; me quede loco; bestialidad
            pelicula*; peliculon; cine; serie; batalla; guerra; historia; documental; soldados
            delantero; temporada; liga; recolector de basura; garbage collector
        """),
        "affection": _split("""
            te quiero; os quiero; enhorabuena; felicidades; me has hecho reir; genial
            eres el mejor; eres la mejor; crack; gracias; lo lograste; lo has conseguido
        """),
    },
    "fr": {
        "hostile": _split("""
            je te deteste; je te hais; ta gueule; ferme la; ferme ta gueule; va te faire
            casse toi; degage; va mourir; va crever; creve; je vais te tuer; je vais te defoncer
            personne ne t'aime; personne t'aime; tu me degoutes; nique ta mere; ntm; fdp
            sont des parasites; sont des animaux; il faut tous les virer; rentre chez toi
            arabes dehors; noirs dehors; juifs dehors; immigres dehors; etrangers dehors
            va te pendre; je vais te casser; casser la gueule; personne ne te supporte
            suicide toi; tue toi
        """),
        "insults": _split("""
            connard*; connasse*; con; conne; idiot*; imbecile*; debile*; abruti*; cretin*
            minable*; ordure*; salope*; salaud*; pute; enfoire*; batard*; nul; nulle; moche
            stupide*; pauvre con; bouffon*; pd; tocard*; raclure*; merdeux; boulet*; cassos
            bon a rien; bonne a rien; larve*; sous merde; nullard*; baltringue*
            blaireau*; trouillard*; mauviette*; guignol*
        """),
        "profanity": _split("putain; merde; bordel; chier; fait chier; ptn"),
        "positive": _split("""
            merci; genial*; super; trop bien; trop bon; trop drole; bravo; felicitations
            joyeux anniversaire; une tuerie; de ouf; incroyable; magnifique; cool; mdr; lol
            on a gagne; gagne; top; parfait; bien; bon; bonne; pas de souci; pas de probleme
            tout va bien; j'adore; adore; chouette
            t'inquiete; t inquiete
        """),
        "negative": _split("""
            triste; horrible; epuise*; decu*; decevant*; nul; annule*; en retard; casse*
            seul; seule; rate; plante; penible; lamentable; me manque; mort; morte; deteste
            pire; nase; galere
        """),
        "negators": _split("pas; jamais; ne; n; sans; aucun; aucune"),
        "second_person": _split("tu; te; t; toi; ta; ton; tes; vous; votre; vos"),
        "benign": _split("""
            processus; serveur*; conteneur*; build; job; script*; log; logs; pipeline; code
            branche; commit; test; tests; onglet; session; terminal; base de donnees; boss
            partie; match; jeu; equipe; but; chanson; concert; album; gateau; fromage; plat
            pizza; repas; a tomber; a se damner; une tuerie; mort de rire; morte de rire; mdr
            ptdr; a mourir de rire; de folie; mortel; mortelle
            film; films; cinema; serie; bataille; guerre; histoire; documentaire; soldats; joueur
            attaquant; saison; je suis mort; je suis morte; chui mort
            garbage collector; ramasse miettes
        """),
        "affection": _split("""
            j'adore; je t'adore; je t'aime; bravo; felicitations; trop fort*; t'es le meilleur
            t'es la meilleure; merci; genial*
            carry; je vous carry; je te carry
        """),
    },
    "de": {
        "hostile": _split("""
            ich hasse dich; ich hasse euch; halt die fresse; halts maul; halt's maul
            halt dein maul; halt die klappe; verpiss dich; hau ab; zieh leine
            fick dich; leck mich; geh sterben; verreck*; krepier*; ich bring dich um
            ich bringe dich um; ich schlag dich; ich schlag dir; ich hau dir; dir die fresse
            niemand mag dich; keiner mag dich; du kotzt mich an; du widerst mich an
            sind ungeziefer; sind parasiten; sind tiere; mussen raus; raus mit euch
            ich mach dich fertig; ich mach dich kalt; hoffentlich stirbst du; stirb
            halt die schnauze; halt deine schnauze; halts maul
        """),
        "insults": _split("""
            idiot*; vollidiot*; depp*; trottel*; versager*; missgeburt*; opfer; penner*; spast*
            spasti*; wichser*; arschloch*; hurensohn*; schlampe*; miststuck*; drecksau*; dreck
            abschaum; ungeziefer; bastard*; blod*; bloed*; dumm*; hasslich*; erbarmlich*
            widerlich*; vollpfosten*; lauch; lappen; mongo*; behindert*; kackbratze*; hackfresse*
            lusche*; nichtsnutz*; waschlappen*; schwachkopf*; schwachmat*; hohlkopf*; dummkopf*
            flachpfeife*; pfeife; witzfigur*; nulpe*; loser; memme*; feigling*; weichei*
            hohlbirne*; honk; spacko*
        """),
        "profanity": _split("scheisse; scheiss*; verdammt*; kacke; mist; fuck*; wtf"),
        "positive": _split("""
            danke; super; toll; geil; mega; klasse; spitze; cool; genial; gut; gute; guten
            schone; schones; lieb*; freu*; gluckwunsch; herzlichen gluckwunsch
            alles gute; gewonnen; der wahnsinn; wahnsinn; hammer; der hammer; lecker; perfekt
            bravo; lol; haha*; kein problem; passt; funktioniert; juhu; yay; endlich
            lach mich tot; totlachen; knaller; der knaller
        """),
        "negative": _split("""
            traurig; schrecklich; furchtbar; enttauscht*; kaputt; nervig; nervt; katastrophe
            einsam; vermisse; vermiss*; gestorben; tot; verspatung; ausgefallen; abgesturzt
            sturzt ab; durchgefallen; erschopft; mude; schlecht*; hass*; leider
            argerlich; mies; doof; blod; problem; schade; stress
        """),
        "negators": _split("nicht; kein; keine; keinen; keiner; nie; niemals; nichts; ohne"),
        "second_person": _split("du; dich; dir; dein; deine; deinen; euch"),
        "benign": _split("""
            prozess*; server*; container*; build; job; skript*; script*; log; logs; pipeline
            code; branch; commit; test; tests; tab; sitzung; terminal; datenbank; endboss; boss
            spiel; match; mannschaft; team; tor; lied; song; konzert; album; kuchen; pizza
            essen; gericht; zum niederknien; zum sterben gut; zum reinlegen; vor lachen
            lach mich kaputt; lach mich tot; totgelacht; haha*; zerlegt
            film; kino; serie; schlacht; krieg; geschichte; doku; dokumentation; soldaten; sturmer
            saison; abwehr; garbage collector
        """),
        "affection": _split("""
            gluckwunsch; herzlichen gluckwunsch; geschafft; hab dich lieb; ich liebe dich; danke
            stark; bravo; genial; respekt
        """),
    },
    "it": {
        "hostile": _split("""
            ti odio; vi odio; vai all'inferno; vai all inferno; vaffanculo; fanculo
            vai a quel paese; stai zitto; stai zitta; chiudi quella bocca; chiudi la bocca
            sta zitto; sparisci; ti ammazzo; ti uccido; ti spacco; ti rompo; muori
            nessuno ti vuole; mi fai schifo; fai schifo; figlio di puttana
            sono parassiti; vanno cacciati; tornatene a casa; crepa; spero che tu muoia
            spero che ti; ti gonfio; di botte; ti meno; fai pena
        """),
        "insults": _split("""
            idiota*; imbecille*; stupid*; deficiente*; coglione*; stronz*; cretino*; cretina*
            scemo; scema; bastard*; troia*; puttana*; zoccola*; schifos*; patetic*; inutile*
            testa di cazzo; pezzo di merda; cazzone*; sfigat*; ritardat*; mongoloide*; verme
            fallito*; frocio*; buono a nulla; buona a nulla; buoni a nulla; nullita; pagliacci*
            incapace*; babbeo*; cialtron*; somaro*; smidollat*; vigliacc*; codard*; mezza calzetta
        """),
        "profanity": _split("cazzo; merda; minchia; porca miseria; cavolo; accidenti"),
        "positive": _split("""
            grazie; bellissim*; bello; bella; fantastic*; stupendo; una bomba; figata
            che figata; complimenti; auguri; buon compleanno; bravo; brava; bravi; ottimo
            perfetto; abbiamo vinto; vinto; ahah*; haha*; tutto ok; tutto bene; nessun problema
            mi piace; adoro; top; grande; geniale; ve lo consiglio; da paura; pazzesc*
        """),
        "negative": _split("""
            triste; tristissim*; orribile; pessim*; delusione; deluso; delusa; distrutt*
            rotto; rotta; brutto; brutta; cancellat*; in ritardo; bocciat*; che noia; si blocca
            mi manca; morto; morta; odio; schifo; peggio; stanco; stanca
        """),
        "negators": _split("non; mai; nessun; nessuno; senza"),
        "second_person": _split("tu; ti; te; sei; tuo; tua; tuoi; vi; voi; siete"),
        "benign": _split("""
            processo; server; container; build; job; script; log; pipeline; codice; branch
            commit; test; scheda; sessione; terminale; database; boss; partita; gioco; squadra
            avversari; gol; canzone; concerto; album; pizza; torta; tiramisu; piatto; cibo
            da urlo; da paura; da leccarsi i baffi; da morire; dal ridere; dalle risate
            la fine del mondo; spacca*
            film; cinema; rivedo; rivisto; serie; battaglia; guerra; storia; documentario; soldati
            centravanti; attaccante; stagione; difese; garbage collector
        """),
        "affection": _split("""
            troppo forte; ti voglio bene; ti adoro; complimenti; bravo; brava; grande; geniale
            grazie; ce l'hai fatta
        """),
    },
    "pt": {
        "hostile": _split("""
            te odeio; vai pro inferno; vai para o inferno; vai tomar no cu; vai se foder
            vai se ferrar; cala a boca; cala essa boca; some daqui; vou te matar; te mato
            vou quebrar sua cara; vou quebrar tua cara; morre; ninguem gosta de voce
            voce me da nojo; me da nojo; filho da puta; sao uma praga
            tem que expulsar; volta pro seu pais; tomara que voce morra; te atropele
            de porrada; vai a merda; nao serve pra nada; nao serve para nada
            nao serves para nada; vai catar coquinho
        """),
        "insults": _split("""
            idiota*; imbecil*; estupid*; otario*; burro; burra; lixo; nojent*; vadia*; puta
            desgracad*; verme; inutil*; babaca*; cretino*; cretina*; arrombad*; corno; viado
            merda; retardad*; escroto*; palhaco*; fracassad*; ridicul*; parvalhao*; parvo
            parva; ze ninguem; traste*; anta; panaca*; jumento*; zero a esquerda
            covarde*; frouxo*; palerma*; tapado*; bocal
        """),
        "profanity": _split("porra; caralho; merda; droga; puta que pariu; foda; pqp"),
        "positive": _split("""
            obrigad*; valeu; incrivel; demais; que demais; muito bom; muito boa; otimo; otima
            animal; show; top; massa; legal; lindo; linda; parabens; feliz aniversario
            ganhamos; vencemos; kkk*; haha*; rs; adoro; amei; perfeito; tudo bem; tudo certo
            sem problema; tranquilo; recomendo; maravilhos*; muito foda; foda demais
        """),
        "negative": _split("""
            triste; horrivel; pessim*; decepcao; decepcionad*; exaust*; cansad*; sozinho
            sozinha; quebrou; quebrado; cancelaram; cancelado; atrasad*; atrasou; reprovei
            reprovado; trava; chato; saudade; morreu; odeio; nojo; pior
        """),
        "negators": _split("nao; nunca; jamais; nem; sem; nenhum; nenhuma"),
        "second_person": _split("voce; voces; vc; tu; te; teu; tua; seu; sua; contigo"),
        "benign": _split("""
            processo; servidor*; container*; build; job; script*; log; pipeline; codigo; branch
            commit; teste*; aba; sessao; terminal; banco de dados; chefao; boss; partida; jogo
            time; equipe; gol; golaco; musica; show; album; bolo; pastel; comida; prato; pizza
            de comer rezando; de lamber os beicos; de rir; morrendo de rir; morri de rir; kkk*
            fiquei louco; matador*; de morrer de bom
            filme; filmaco; cinema; serie; batalha; guerra; historia; documentario; soldados
            atacante; temporada; defesa; garbage collector
        """),
        "affection": _split("""
            parabens; te amo; te adoro; conseguiu; conseguiste; valeu; obrigad*; arrasou
            mandou bem; genial
        """),
    },
}

# Hostility without a hostile word, as patterns per language and category. Each is a regular
# expression matched on the text's folded words (lower case, no accents, "ß" -> "ss") joined by
# single spaces, with " | " between sentences, so "Je sais où t'habites !" is read as
# "je sais ou t habites |" (English keeps "you'll" whole). Write ``\b`` at word edges and
# ``(?: \w+){0,3}`` for "up to three words"; nothing crosses a sentence.
#
# - ``threat``: a threat aimed at "you" — knowing where they live, "watch your back", "you'll
#   regret / pay for this", "your days are numbered".
# - ``exclusion``: "go back to your country", "get out of our country", "X raus".
# - ``wish_harm``: a wish (hope, "ojalá", "j'espère que", "hoffentlich", "spero che", "tomara
#   que") followed within a few words by a harm (fall, die, be run over...), unless negated; and
#   "the world would be better without you".
# - ``group_hate``: "they are all thieves / criminals / animals" about a group.
_NOT_EN = r"(?:(?!(?:don't|dont|not|never|won't|didn't|doesn't)\b)[\w']+ )"
_YOU_EN = r"(?:you|u|ya)"
_BASE_PATTERNS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "en": {
        "threat": (
            rf"\bi know where {_YOU_EN} (?:live|work|sleep|study|go to school|hang out)\b",
            r"\bwatch (?:your|ur|yer) back\b",
            r"\b(?:you'll|youll|you will|u will|you're going to|youre going to|you are going to"
            r"|you're gonna|youre gonna|you gonna|u gonna) (?:regret|pay for)"
            r" (?:this|that|it|what)\b",
            rf"\bi'?m coming for {_YOU_EN}\b",
            rf"\b(?:i'll|ill|i will|we'll|we will) (?:hurt|end|destroy|ruin) {_YOU_EN}\b",
            r"\bsleep with one eye open\b",
            r"\b(?:you'll|you will) never see it coming\b",
            r"\byour days are numbered\b",
            r"\b(?:you're|youre|you are|ur) dead meat\b",
            rf"\bbe careful what {_YOU_EN} (?:say|post|write)\b",
        ),
        "exclusion": (
            r"\bgo back to (?:your|ur) (?:own )?(?:country|land|village|jungle|desert|cave"
            r"|continent|homeland)\b",
            r"\bgo back (?:to )?where (?:you|u|ya|they) came from\b",
            r"\b(?:get|go) (?:out of|outta) (?:our|my|this) (?:country|town|land)\b",
            r"\b(?:you're|youre|you are|your kind is|your kind are|you people are|they're"
            r"|they are) not welcome\b",
            r"\bsend (?:them|'em|em|you) (?:all )?back\b",
        ),
        "wish_harm": (
            rf"\b(?:hope|wish|pray) (?:that )?(?:you|u|ya|your \w+) {_NOT_EN}{{0,5}}(?:die|dies"
            r"|choke|chokes|rot|rots|drown|drowns|burn|burns|trip|trips|fall|falls|crash|crashes"
            r"|suffer|suffers|break your|get hit|gets hit|hit by|run over|get run|get hurt"
            r"|get cancer|get killed|step on a|lose everything|never wake up)\b",
            r"\bmay (?:you|u) (?:\w+ )?(?:rot|burn|die|suffer|choke)\b",
            r"\b(?:world|everyone|everybody|we|chat|group|everything|life)\b(?: [\w']+){0,3} "
            r"(?:be|is) (?:a |so |much )?(?:better|happier|nicer)(?: [\w']+){0,2} (?:without "
            r"(?:you|u|ya)|if (?:you|u) (?:\w+ )?(?:disappeared|died|left|were gone|vanished"
            r"|didn't exist|never existed))\b",
            r"\b(?:nobody|no one|noone) (?:would|will) (?:even )?miss (?:you|u)\b",
        ),
        "group_hate": (
            r"\b(?:are|r) all (?:\w+ )?(?:thieves|criminals|rapists|terrorists|parasites|animals"
            r"|vermin|scum|savages|subhuman)\b",
        ),
    },
    "es": {
        "threat": (
            r"(?<!\bno )\bse (?:(?!no\b)\w+ ){0,2}donde (?:vives|trabajas|estudias|duermes"
            r"|vive tu|viven tus)\b",
            r"\b(?:cuidate|vigila|guardate) las espaldas\b",
            r"\b(?:te vas a|vas a|os vais a) arrepentir\b",
            r"\bte arrepentiras\b",
            r"\bme la(?:s)? (?:vas a pagar|pagaras|vais a pagar)\b",
            r"\bvoy (?:a ir )?a por ti\b",
            r"\bvas a ver lo que te pasa\b",
            r"\btus dias estan contados\b",
            r"\bten cuidado con lo que (?:dices|escribes|publicas)\b",
        ),
        "exclusion": (
            r"\b(?:vuelvete|vuelve|volved|volveos|regresa|regresate|largate|vete|iros|idos"
            r"|fuera|largo)(?: \w+){0,2} (?:a|de|para) (?:tu|vuestro|vuestra|su|mi|nuestro"
            r"|nuestra|este) (?:pais|tierra|continente|selva)\b",
            r"\baqui no (?:te|os|les) queremos\b",
            r"\baqui (?:sobras|sobrais)\b",
            r"\bfuera (?:los |las )?(?:inmigrantes|extranjeros|moros|negros|sudacas|gitanos"
            r"|menas)\b",
        ),
        "wish_harm": (
            r"\bojala (?:que )?(?:te|os|tu|le|les) (?:(?!no\b)\w+ ){0,3}(?:atropell\w*|caigas"
            r"|muer\w*|rompa\w*|parta|pudr\w*|ahog\w*|quem\w*|estrell\w*|mat\w*|revient\w*"
            r"|explot\w*|de un infarto|de cancer)\b",
            r"\bque te (?:parta un rayo|atropelle\w*|mueras|pudras)\b",
            r"\b(?:mundo|todos|todo|vida|grupo|estariamos|estaria|seria|estaremos)(?: \w+){0,3}"
            r" mejor sin (?:ti|vosotros|usted)\b",
            r"\bnadie te (?:echaria|va a echar) de menos\b",
        ),
        "group_hate": (
            r"\bson todos (?:unos |unas )?(?:ladrones|criminales|delincuentes|violadores"
            r"|terroristas|parasitos|animales|vagos|escoria)\b",
        ),
    },
    "fr": {
        "threat": (
            r"\bje sais (?:(?!pas\b)\w+ ){0,2}ou (?:tu habites|t habites|tu vis|tu bosses"
            r"|tu travailles|tu dors|habite ta|vit ta)\b",
            r"\bsurveille tes arrieres\b",
            r"\b(?:tu vas|vous allez) (?:le |me le |nous le )?(?:regretter|payer)\b",
            r"\btu (?:le |me le )?(?:regretteras|paieras|payeras)\b",
            r"\b(?:je vais|on va) te (?:retrouver|trouver|faire la peau|regler ton compte"
            r"|choper)\b",
            r"\bfais gaffe a (?:toi|ta gueule)\b",
            r"\btes jours sont comptes\b",
            r"\bje t attends (?:a la sortie|dehors)\b",
        ),
        "exclusion": (
            r"\b(?:retourne|rentre|repars|retournez|rentrez|repartez|va|allez)(?: \w+){0,2} "
            r"(?:dans|chez|en|a) (?:ton|ta|tes|votre|vos) (?:pays|bled|afrique|brousse|jungle"
            r"|continent|terre)\b",
            r"\b(?:degage|degagez|dehors|casse toi|cassez vous|barre toi|sors|sortez) (?:de|d) "
            r"(?:notre|mon|ce|la) (?:pays|france|ville)\b",
            r"\bt es pas (?:d ici|chez toi)\b",
            r"\bla france aux francais\b",
        ),
        "wish_harm": (
            r"\bj espere (?:que |qu )(?:tu|t|vous|ta \w+|ton \w+)(?: (?!pas\b|jamais\b)\w+){0,4}"
            r" (?:ecras\w*|crev\w*|meur\w*|mour\w*|cram\w*|brul\w*|noi\w*|etouff\w*"
            r"|accident\w*|cancer|tomb\w* (?:dans|de|par)|cass\w* (?:la|une|les|le) (?:jambe"
            r"|gueule|nuque|cou|dents|bras))\b",
            r"\bque tu (?:creves|meures|crames)\b",
            r"\b(?:monde|tout le monde|on|vie|groupe)(?: \w+){0,3} (?:meilleur|mieux)(?: \w+){0,2}"
            r" sans (?:toi|vous)\b",
            r"\bpersonne ne te regretter\w*\b",
        ),
        "group_hate": (
            r"\b(?:sont|c est) tous des (?:voleurs|criminels|delinquants|violeurs|terroristes"
            r"|parasites|animaux|racailles|singes)\b",
        ),
        "insult_frame": (
            # "Espèce de ..." opening a sentence or after "toi"/"eh" is a vocative insult.
            r"(?:^|\| |\b(?:toi|vous|eh|oh|hey) )espece d(?:e)? \w+",
        ),
    },
    "de": {
        "threat": (
            r"\bich weiss (?:(?!nicht\b)\w+ ){0,2}wo (?:du|ihr|deine \w+|dein \w+) (?:wohnst"
            r"|wohnt|arbeitest|arbeitet|lebst|lebt|schlafst|zur schule gehst)\b",
            r"\bpass (?:bloss|ja) auf\b",
            r"\bsieh dich (?:bloss |ja |besser )?vor\b",
            r"\b(?:das|dafur) wirst du (?:\w+ ){0,2}(?:bereuen|bussen|buessen|bezahlen)\b",
            r"\bdu wirst (?:es |das )?(?:noch )?bereuen\b",
            r"\bich (?:krieg|kriege|erwische) dich\b",
            r"\bdeine tage sind gezahlt\b",
        ),
        "exclusion": (
            r"\b(?:geh|geht|hau|haut|verschwinde|verschwindet|zieh|zieht|fahr|fahrt)(?: \w+){0,2}"
            r" (?:zuruck|heim)(?: \w+){0,2} (?:in|nach|wo) (?:dein|deine|euer|eure|du|ihr)\b",
            r"\b(?:verschwinde|verschwindet|raus|haut ab|hau ab)(?: \w+)? aus (?:unserem|meinem"
            r"|diesem) (?:land|dorf|viertel|deutschland)\b",
            r"\b(?:auslander|fluchtlinge|asylanten|kanaken|turken|araber|muslime|juden|migranten"
            r"|zigeuner) raus\b",
            r"\bdeutschland den deutschen\b",
        ),
        "wish_harm": (
            r"\b(?:ich hoffe|hoffentlich)(?: (?!nicht\b|nie\b|kein\w*\b)\w+){0,5} (?:fallst"
            r"|sturzt|stirbst|verreckst|krepierst|erstickst|ertrinkst|brichst|verbrennst"
            r"|uberfahr\w*|erwischt dich|trifft dich|fahrt dich|unfall|krebs|treppe)\b"
            r"(?![^|]*\bnicht\b)",
            r"\b(?:welt|alle|wir|jeder|leben|gruppe)(?: \w+){0,3} (?:besser|schoner|glucklicher)"
            r"(?: \w+){0,2} ohne dich\b",
            r"\bohne dich (?:ware|waere|waren|ist) die welt (?:besser|schoner)\b",
            r"\b(?:keiner|niemand) wurde dich vermissen\b",
        ),
        "group_hate": (
            r"\bsind (?:doch )?alle (?:\w+ )?(?:diebe|kriminell\w*|verbrecher|vergewaltiger"
            r"|terroristen|parasiten|tiere|schmarotzer|abschaum)\b",
        ),
    },
    "it": {
        "threat": (
            r"(?<!\bnon )\bso (?:\w+ )?dove (?:abiti|vivi|lavori|dormi|abita|vive)\b",
            r"\bguardati le spalle\b",
            r"\b(?:te ne|ve ne) pentir\w+\b",
            r"\bti pentirai\b",
            r"\b(?:me la|ce la|la) pagher(?:ai|ete)\b",
            r"\bti aspetto (?:sotto casa|fuori|all uscita|qua fuori)\b",
            r"\bi tuoi giorni sono contati\b",
            r"\bstai attento a quello che (?:dici|scrivi)\b",
        ),
        "exclusion": (
            r"\b(?:tornatene|tornatevene|vattene|andatevene)(?: \w+){0,2} (?:a casa (?:tua"
            r"|vostra)|in africa)\b",
            r"\b(?:tornatene|tornatevene|vattene|andatevene|torna|tornate)(?: \w+){0,2} "
            r"(?:al|nel) (?:tuo|vostro) paese\b",
            r"\b(?:torna|tornate|tornatene) da dove (?:sei|siete) venut\w\b",
            r"\bqui non (?:ti|vi) vogliamo\b",
            r"\bfuori dal(?:l)? (?:mio|nostro) paese\b",
            r"\b(?:stranieri|immigrati|negri|zingari|marocchini) fuori\b",
            r"\bl italia agli italiani\b",
        ),
        "wish_harm": (
            r"\bspero (?:che )?(?:tu|ti|te|vi)(?: (?!meglio\b|bene\b|non\b)\w+){0,3} (?:cad\w*"
            r"|muoi\w*|mor\w*|crep\w*|invest\w*|romp\w*|soffoch\w*|affog\w*|bruc\w*|accident\w*"
            r"|ammal\w*|schiant\w*)\b",
            r"\bti venga (?:un|una) (?:accidente|colpo|cancro|infarto|malattia)\b",
            r"\bche tu possa (?:morire|crepare|soffrire)\b",
            r"\b(?:mondo|tutti|tutto|vita|staremmo|starebbero|sarebbe)(?: \w+){0,3} (?:migliore"
            r"|meglio)(?: \w+){0,2} senza (?:di )?(?:te|voi)\b",
        ),
        "group_hate": (
            r"\bsono tutti (?:dei )?(?:ladri|criminali|delinquenti|stupratori|terroristi"
            r"|parassiti|animali|bestie)\b",
        ),
    },
    "pt": {
        "threat": (
            r"(?<!\bnao )\bsei onde (?:\w+ )?(?:voce |vc |tu |voces )?(?:mora|moras|vive|vives"
            r"|trabalha|trabalhas|estuda)\b",
            r"\bcuidado com as (?:suas |tuas )?costas\b",
            r"\bvou te pegar (?:na saida|la fora)\b",
            r"\b(?:voce |vc |tu )?(?:vai|vais) se arrepender\b",
            r"\bvais te arrepender\b",
            r"\bte arrependeras\b",
            r"\b(?:voce|vc|tu) me paga\b(?! (?:o|a|um|uma|os|as|amanha|depois|quando|em|com"
            r"|pelo|pela)\b)",
            r"\b(?:vai|vais) me pagar\b(?! (?:o|a|um|uma|os|as|amanha|depois|quando|em|com"
            r"|pelo|pela)\b)",
            r"\bseus dias estao contados\b",
        ),
        "exclusion": (
            r"\b(?:volta|volte|voltem|vai embora|va embora|vao embora|sai|saia|saiam|fora)"
            r"(?: \w+)? (?:pra|para|pro|do|da|de) (?:a |o )?(?:sua|tua|seu|teu|meu|nosso|nossa"
            r"|minha|este|esse) (?:terra|pais|patria|continente)\b",
            r"\baqui nao (?:e|eh) (?:o )?(?:seu|teu) lugar\b",
        ),
        "wish_harm": (
            r"\b(?:tomara|espero|oxala) (?:que )?(?:voce|vc|tu|te|voces)(?: (?!nao\b)\w+){0,3} "
            r"(?:morr\w*|caia|caias|atropel\w*|quebr\w*|explod\w*|apodre\w*|sofra|sofras"
            r"|afog\w*|queim\w*|se foda|se ferre)\b",
            r"\b(?:mundo|todos|todo mundo|a gente|estariamos|seria|vida)(?: \w+){0,3} (?:melhor"
            r"|mais feliz)(?: \w+){0,2} sem (?:voce|vc|ti|voces)\b",
        ),
        "group_hate": (
            r"\bsao (?:todos )?(?:uns |umas )?(?:ladroes|criminosos|bandidos|estupradores"
            r"|terroristas|parasitas|animais|vagabundos|macacos)\b",
        ),
    },
}

# Harassment the first patterns missed (written after an independent set showed the gaps; the
# examples in comments are this project's own). Same format as above.
#
# - ``exposure``: doxxing and exposure threats — "I'll post your address in the group", "I know
#   your plate", "I know when your daughter leaves school", "I got your address from the order".
# - ``conditional_threat``: "if you want to keep your teeth", "would be a shame if your wife
#   found out", "bring a mouthguard, not joking".
# - ``self_harm``: telling someone to kill themselves — "go hang yourself", "jump off a bridge",
#   "better off if you uninstalled".
# - ``dehumanization``: people as vermin — "breed like rats", "they are cockroaches".
# - ``sexism``: "women don't belong in football", "back to the kitchen".
# - ``looks``: "with that face you should wear a bag", "your face looks like".
_FAMILY_EN = (
    r"(?:daughter|son|kids?|children|wife|husband|girlfriend|boyfriend|mom|mum|mother|dad"
    r"|father|family|sister|brother)"
)
_WOMEN_EN = r"(?:women|woman|girls|girl|females|female|chicks|ladies)"
_EXTRA_PATTERNS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "en": {
        "exposure": (
            r"\b(?:i'll|ill|i will|i'm going to|im going to|i'm gonna|im gonna|we'll|we will"
            r"|gonna|i could|i can|i might) (?:post|share|leak|publish|put|drop|send|spread|dox)"
            r"(?: [\w']+){0,3} (?:your|ur) (?:home |real |full |new |private |work )?(?:address"
            r"|number|phone|photos?|pics|pictures|nudes|location|details|info|dms|messages"
            r"|screenshots|ip)\b",
            r"\bi know (?:your|ur) (?:license plate|licence plate|number plate|plate|ip)\b",
            r"\bi (?:have|got) (?:your|ur) (?:license plate|licence plate|number plate|plate|ip)\b",
            rf"\bi know (?:when|what time|where|which school) (?:your|ur) {_FAMILY_EN}(?!')"
            r" (?:leaves?|gets?|finish(?:es)?|walks?|goes|go|comes?|is alone|are alone|is home"
            r"|are home|sleeps?|parks?|lives?|works?|arrives?|takes?)\b",
            rf"\bi know where {_YOU_EN} (?:park|shop|train|drink|run|walk)\b",
            r"\b(?:got|have) (?:your|ur) (?:home )?(?:address|number|ip) (?:from|off|thanks to"
            r"|via) (?:the|that|this|your|ur) (?:\w+ )?(?:order|delivery|receipt|package|parcel"
            r"|invoice|form|signup|ticket)\b",
        ),
        "conditional_threat": (
            r"\bif (?:you|u) (?:want|wanna|plan|hope|wish) to (?:keep (?:your|ur|all your|all ur)"
            r" (?:teeth|legs|kneecaps|fingers|face|job)|go home (?:with|in)|walk (?:again|out)"
            r"|leave (?:in one piece|with)|get home (?:in one piece|with)|stay (?:healthy|safe"
            r"|in one piece))",
            r"\b(?:be|it'd be|itd be) a (?:real |damn |big |)?(?:shame|pity) if (?:your|ur|you"
            r"|someone|somebody) (?:[\w']+ ){0,3}(?:found out|find out|saw|see|learned|heard"
            r"|got hurt|had an accident|were to|happened)",
            r"\bbring (?:a |your |ur )?(?:mouthguard|mouth guard|gumshield|helmet|body bag"
            r"|ambulance|first aid kit)\b[^|]*\b(?:not joking|no joke|not kidding|i'm serious"
            r"|im serious|you'll need it|youll need it)\b",
        ),
        "self_harm": (
            r"\b(?:go|just|pls|plz|please) (?:hang|kill|shoot|drown|off|end) (?:yourself|urself"
            r"|your life)\b",
            r"\b(?:go|just|pls|plz|please|and) (?:die|jump off|throw yourself off|jump in front)\b",
            r"\bjump (?:off|from) (?:a|the|something) (?:bridge|building|cliff|roof|tall"
            r"|balcony|window)\b(?![^|]*\b(?:we|lake|river|sea|water|pool)\b)",
            rf"\bbetter off (?:if (?:you|u) (?:\w+ )?(?:uninstalled|quit|ragequit|disappeared"
            r"|died|left|were dead|never existed|killed yourself|stopped breathing)|without"
            rf" {_YOU_EN})\b",
            r"\band not just the game\b",
        ),
        "dehumanization": (
            r"\b(?:breed|multiply|reproduce|spread|swarm) like (?:rats|rabbits|cockroaches|roaches"
            r"|vermin|flies|locusts|insects|a plague|the plague|a disease)\b",
            r"\b(?:they're|theyre|they are|those people are|these people are|you people are"
            r"|your kind are|their kind are|them all)\b (?:[\w']+ ){0,2}(?:rats|vermin|cockroaches"
            r"|roaches|a plague|a disease|cancer|monkeys|apes|subhuman|savages|filth|insects)\b",
            r"\b(?:go|get) back (?:to|in) (?:the|your) (?:jungle|zoo|trees|cage)\b",
        ),
        "sexism": (
            rf"\b{_WOMEN_EN}\b[^|]*\b(?:don't|dont|do not|doesn't|shouldn't|should not|can't"
            r"|cannot) (?:belong|be allowed|play|understand|talk)\b[^|]*\b(?:comms|football"
            r"|soccer|games?|gaming|sports?|team|pitch|ranked|esports|here|kitchen)\b",
            rf"\b{_WOMEN_EN}\b[^|]*\b(?:belong|should (?:stay|be|go back)|back to|get back)"
            r" (?:in|to|into) the kitchen\b",
            r"\b(?:go|get|now) (?:make|making) me (?:a|my) sandwich\b",
            r"\bback to making (?:sandwiches|sandwichs|dinner)\b",
            r"\b(?:go|get) back (?:in|to|into) the kitchen\b",
            r"\bgo (?:wash|do) the dishes\b",
        ),
        "looks": (
            r"\bwith (?:that|this|your|ur) (?:face|mug|body|nose|teeth|looks)\b[^|]*\b(?:should"
            r"|bag|mask|no wonder|nobody|no one|never)\b",
            r"\b(?:your|ur) (?:face|mug) (?:looks|is) like\b",
            r"\b(?:paper )?bag (?:on|over) (?:your|ur) (?:head|face)\b",
            r"\bfat (?:cow|pig|whale|slob|hog|lard|pig)\b",
        ),
    },
    "es": {
        "exposure": (
            r"\b(?:voy a|vamos a|pienso|puedo|te voy a) (?:publicar|subir|pasar|filtrar|compartir"
            r"|poner|difundir|colgar|mandar|ensenar)(?: \w+){0,3} (?:tu|tus) (?:direccion"
            r"|numero|telefono|foto|fotos|datos|nombre|chats|mensajes|capturas|ip)\b",
            r"\btengo (?:tu|tus) (?:direccion|numero|telefono|datos|ip|matricula) (?:del|de la"
            r"|por el|por la|gracias al?) (?:\w+ )?(?:pedido|envio|paquete|factura|recibo"
            r"|entrega|formulario|ticket)\b",
            r"\bse (?:(?!no\b)\w+ ){0,2}(?:tu matricula|donde aparcas|donde dejas el coche"
            r"|donde estacionas|donde vive tu)\b",
            r"\bse (?:cuando|a que hora|a que colegio|por donde) (?:\w+ ){0,2}(?:tu|tus) (?:hija"
            r"|hijo|hijos|hijas|mujer|marido|novia|novio|madre|padre|familia|ninos|hermana)\b",
        ),
        "conditional_threat": (
            r"\bsi quieres (?:volver|irte|llegar|salir|conservar|seguir|mantener)(?: \w+){0,3}"
            r" (?:con (?:los|tus|todos los) dientes|entero|entera|de una pieza|en una pieza"
            r"|con vida|andando|sano|sana|los dientes)\b",
            r"\bseria una (?:pena|lastima) que (?:tu|tus|alguien) (?:\w+ ){0,3}(?:enter\w+"
            r"|viera\w*|supiera\w*|pasara|vieran)\b",
            r"\b(?:traete|trae|lleva|llevate|ven con) (?:un |el |tu )?(?:protector bucal|bucal"
            r"|casco|ambulancia)\b[^|]*\b(?:no es broma|en serio|no bromeo|lo vas a necesitar)\b",
        ),
        "self_harm": (
            r"\b(?:ve a |vete a |anda a )?(?:ahorcarte|ahorcate|pegarte un tiro|pegate un tiro"
            r"|matarte|suicidarte)\b",
            r"\b(?:tirate|tirarte|lanzate|lanzarte) (?:de|desde|por) (?:un|una|el|la) (?:puente"
            r"|edificio|balcon|ventana|barranco|precipicio|azotea|acantilado)\b",
            r"\b(?:vete|ve|anda) a morir\b",
            r"\bmejor\b[^|]*\bsi (?:te )?(?:desinstalaras|desinstalases|desaparecieras"
            r"|te murieras|no existieras|te fueras para siempre)\b",
        ),
        "dehumanization": (
            r"\bse (?:reproducen|multiplican|crian|extienden) como (?:ratas|conejos|cucarachas"
            r"|plaga|una plaga|la peste|moscas|alimanas|insectos)\b",
            r"\b(?:son|sois) (?:como )?(?:unas |una |unos )?(?:ratas|cucarachas|plaga|alimanas"
            r"|monos|escoria|chusma|insectos)\b(?! de (?:biblioteca|laboratorio|gimnasio))",
            r"\b(?:inmigrantes|moros|gitanos|sudacas|negros|panchitos|menas|indios)\b[^|]*\b(?:plaga"
            r"|ratas|cucarachas|escoria|monos|alimanas)\b",
            r"\b(?:regresate|vuelvete|vete|regresa|vuelve)(?: \w+){0,2} a (?:tu|la) (?:rancho"
            r"|choza|selva|jungla|cueva|chabola)\b",
        ),
        "sexism": (
            r"\b(?:las )?(?:mujeres|tias|chicas|nenas|una mujer|las minas)\b[^|]*\b(?:no pintan"
            r"|no pinta|no saben|no deberian|no deberia|a la cocina|a fregar|a lavar|a planchar)\b",
            r"\b(?:vete|vuelve|ve|anda|volved|a) (?:a )?(?:la cocina|fregar|fregar los platos"
            r"|lavar los platos|planchar)\b",
        ),
        "looks": (
            r"\bcon esa (?:cara|jeta|pinta|nariz|careto|facha)\b[^|]*\b(?:deberias|bolsa|normal"
            r"|nadie|mejor|mascara)\b",
            r"\btu (?:cara|jeta|careto) (?:parece|es como)\b",
            r"\buna bolsa en la cabeza\b",
        ),
    },
    "fr": {
        "exposure": (
            r"\b(?:je vais|on va|j vais|jvais|je peux) (?:balancer|publier|poster|partager|diffuser"
            r"|mettre|envoyer|leak|afficher)(?: \w+){0,3} (?:ton|ta|tes) (?:adresse|numero|photos?"
            r"|nudes|infos|plaque|messages|captures|ip|nom)\b",
            r"\bj ai (?:ton|ta) (?:adresse|numero|ip|plaque) (?:grace a|via|avec|par|de) (?:la|ta"
            r"|le|ton|ce|cette)? ?(?:commande|livraison|colis|facture|recu|formulaire|ticket)\b",
            r"\bje (?:connais|sais) (?:ta plaque|ton immatriculation|ou tu te gares|ou tu gares"
            r"|ou tu stationnes)\b",
            r"\bje sais (?:a quelle heure|quand|ou) (?:\w+ ){0,2}(?:ta|ton|tes) (?:fille|fils"
            r"|enfants|gosses|femme|mari|copine|copain|mere|pere|famille|soeur|frere)\b",
        ),
        "conditional_threat": (
            r"\bsi tu (?:veux|tiens a) (?:rentrer|repartir|garder|partir|sortir|rester)"
            r"(?: \w+){0,3} (?:un seul morceau|entier|entiere|tes dents|toutes tes dents|vivant"
            r"|en vie)\b",
            r"\b(?:serait|ce serait) (?:dommage|bete) que (?:ta|ton|tes|quelqu un) (?:\w+ ){0,3}"
            r"(?:l apprenne|apprenne|le sache|sache|decouvre|voie|tombe)\b",
            r"\b(?:ramene|prends|apporte|amene) (?:un |ton |une |ta )?(?:protege dents|casque"
            r"|ambulance|gouttiere)\b[^|]*\b(?:je rigole pas|sans rire|je plaisante pas|serieux"
            r"|t en auras besoin)\b",
        ),
        "self_harm": (
            r"\bva (?:te pendre|te tuer|te suicider|te jeter|mourir|crever)\b",
            r"\b(?:jette toi|saute) (?:d un|du|par la|d une) (?:pont|immeuble|fenetre|falaise|toit"
            r"|balcon)\b",
            r"\bmieux\b[^|]*\bsi tu (?:desinstallais|disparaissais|crevais|mourais|existais pas)\b",
        ),
        "dehumanization": (
            r"\b(?:se reproduisent|se multiplient|pullulent) comme (?:des rats|des lapins"
            r"|des cafards|la peste|des mouches|des insectes|de la vermine)\b",
            r"\b(?:c est|ce sont|sont) (?:tous )?(?:des rats|des cafards|de la vermine|une vermine"
            r"|la peste|des singes|une plaie|des insectes)\b",
            r"\bune vraie vermine\b",
            r"\b(?:retourne|rentre|va) (?:dans|a) (?:la|ta) (?:jungle|brousse|cage|grotte)\b",
        ),
        "sexism": (
            r"\b(?:les )?(?:femmes|meufs|filles|nanas|une femme|une meuf)\b[^|]*\b(?:rien a faire"
            r"|a la cuisine|a la vaisselle|au menage|comprennent rien|connaissent rien"
            r"|comprend rien|connait rien)\b",
            r"\b(?:retourne|va|file) (?:a|faire) (?:la cuisine|la vaisselle|le menage"
            r"|tes casseroles|un sandwich)\b",
        ),
        "looks": (
            r"\b(?:t as|tu as|avec) (?:une|ta|cette) (?:tete|gueule|face|tronche) (?:a|de|d)\b",
            r"\bavec (?:ta|cette|une) (?:tete|gueule|tronche)\b[^|]*\b(?:devrais|sac|masque"
            r"|personne)\b",
            r"\bun sac sur la tete\b",
        ),
    },
    "de": {
        "exposure": (
            r"\bich (?:stell|stelle|poste|teile|leake|schick|schicke|veroffentliche|verbreite|lade)"
            r" (?:\w+ ){0,2}(?:deine|dein|deinen) (?:adresse|nummer|handynummer|fotos|bilder"
            r"|nacktbilder|daten|kennzeichen|nachrichten|screenshots)\b",
            r"\bich (?:kenne|kenn) (?:dein kennzeichen|deine ip)\b",
            r"\bich (?:hab|habe) (?:deine|dein) (?:adresse|nummer|ip|kennzeichen) (?:von|aus)"
            r" (?:der|dem|deiner|deinem) \w*(?:bestellung|lieferung|paket|rechnung|quittung"
            r"|formular)\b",
            r"\bich weiss (?:\w+ )?(?:wann|wo|um wie viel uhr) (?:deine|dein) (?:tochter|sohn"
            r"|kinder|frau|mann|freundin|freund|mutter|vater|familie|schwester|bruder)\b",
            r"\bich weiss (?:\w+ )?wo (?:du|ihr) (?:parkst|parkt|einkaufst|trainierst)\b",
        ),
        "conditional_threat": (
            r"\bwenn (?:du|ihr) (?:mit allen zahnen|in einem stuck|heil|lebend|gesund|unverletzt)"
            r"(?: \w+){0,3} (?:heimgehen|heimkommen|nach hause|zuruck|wieder)",
            r"\b(?:ware|waere) (?:doch |ja )?(?:schade|blod|dumm) wenn (?:deine|dein|jemand)"
            r" (?:\w+ ){0,3}(?:erfahrt|erfahren|sieht|herausfindet|rausfindet|passiert)\b",
            r"\bbring (?:\w+ ){0,2}(?:einen |nen |deinen )?(?:mundschutz|zahnschutz|helm"
            r"|krankenwagen)\b[^|]*\b(?:kein witz|ich mein es ernst|im ernst|ernsthaft)\b",
        ),
        "self_harm": (
            r"\bgeh (?:dich )?(?:aufhangen|erhangen|umbringen|sterben|erschiessen)\b",
            r"\bhang dich auf\b",
            r"\bbring dich um\b",
            r"\bspring (?:doch )?(?:\w+ )?(?:von|aus) (?:einer|einem|der|dem) (?:brucke|hochhaus"
            r"|dach|fenster|klippe)\b",
            r"\bbesser\b[^|]*\bwenn du (?:deinstallierst|verschwindest|stirbst|nicht existierst)\b",
        ),
        "dehumanization": (
            r"\b(?:vermehren sich|verbreiten sich) wie (?:ratten|karnickel|kaninchen|kakerlaken"
            r"|ungeziefer|die pest|fliegen|insekten)\b",
            r"\b(?:sind|seid) (?:doch |alle |nur )*(?:ratten|kakerlaken|ungeziefer|eine plage"
            r"|die pest|affen|insekten|viecher)\b",
            r"\b(?:geh|geht|ab) zuruck (?:in den|auf den) (?:dschungel|baum|zoo)\b",
        ),
        "sexism": (
            r"\b(?:frauen|weiber|madchen|tussis|eine frau)\b[^|]*\b(?:nichts verloren|nichts zu"
            r" suchen|an den herd|in die kuche|keine ahnung)\b",
            r"\b(?:ab|zuruck) (?:an den herd|in die kuche)\b",
        ),
        "looks": (
            r"\bmit (?:der|dieser|deiner|so einer) (?:visage|fresse|fratze|gesicht|nase|figur)\b",
            r"\b(?:tute|sack) uber (?:dem|den) kopf\b",
            r"\bdein gesicht sieht aus wie\b",
            r"\bfette (?:kuh|sau|qualle|schlampe)\b",
        ),
    },
    "it": {
        "exposure": (
            r"\b(?:pubblico|posto|metto|condivido|diffondo|mando|giro|pubblichero|mettero)"
            r" (?:\w+ ){0,2}(?:il tuo|la tua|le tue|i tuoi) (?:indirizzo|numero|foto|dati|targa"
            r"|messaggi|chat|nome)\b",
            r"\bho il tuo (?:indirizzo|numero|ip) (?:dall|dal|dalla|grazie all?) (?:\w+ )?"
            r"(?:ordine|consegna|pacco|fattura|ricevuta|modulo)\b",
            r"\b(?:conosco|so) (?:la tua targa|dove parcheggi|dove lasci la macchina)\b",
            r"\bso (?:a che ora|quando|dove) (?:\w+ ){0,2}(?:tua|tuo|tuoi) (?:figlia|figlio|figli"
            r"|moglie|marito|ragazza|ragazzo|madre|padre|famiglia|sorella|fratello)\b",
        ),
        "conditional_threat": (
            r"\bse vuoi (?:tornare|andare|uscire|restare|rimanere|tenerti)(?: \w+){0,3} (?:intero"
            r"|intera|tutto intero|con tutti i denti|con i denti|vivo|in un pezzo|sano)\b",
            r"\bsarebbe un (?:peccato|vero peccato) se (?:tua|tuo|tuoi|qualcuno) (?:\w+ ){0,3}"
            r"(?:scoprisse|sapesse|vedesse|venisse a sapere|lo scoprisse)\b",
            r"\b(?:portati|porta) (?:il |un |la )?(?:paradenti|casco|ambulanza)\b[^|]*\b(?:non"
            r" scherzo|sul serio|ti servira)\b",
        ),
        "self_harm": (
            r"\bvai a (?:morire|morire ammazzato|impiccarti|ucciderti|buttarti)\b(?! (?:dal ridere"
            r"|dalle risate|di noia|di fame|di caldo|di freddo)\b)",
            r"\b(?:impiccati|ammazzati|sparati|buttati) (?:da|dal|dalla|giu da|sotto)\b",
            r"\bimpiccati\b",
            r"\bmeglio\b[^|]*\bse (?:disinstallassi|sparissi|morissi|non esistessi)\b",
        ),
        "dehumanization": (
            r"\b(?:si riproducono|si moltiplicano|proliferano) come (?:i topi|topi|conigli"
            r"|scarafaggi|la peste|mosche|insetti|ratti)\b",
            r"\bsono (?:tutti )?(?:dei |degli |una )?(?:topi|ratti|scarafaggi|piaga|peste|scimmie"
            r"|insetti|bestie|parassiti)\b(?! di (?:biblioteca|laboratorio))",
            r"\b(?:zingari|negri|marocchini|rom|immigrati|stranieri)\b[^|]*\b(?:di merda|ladri"
            r"|topi|piaga|scimmie|feccia)\b",
            r"\b(?:torna|tornatene) (?:nella|sulla) (?:giungla|savana|foresta|gabbia)\b",
        ),
        "sexism": (
            r"\b(?:le )?(?:donne|ragazze|femmine|una donna)\b[^|]*\b(?:non c entrano|non capiscono"
            r"|in cucina|a lavare i piatti|ai fornelli|a stirare)\b",
            r"\b(?:torna|vai|tornatene) (?:in cucina|a lavare i piatti|ai fornelli|a stirare)\b",
        ),
        "looks": (
            r"\bcon quella (?:faccia|faccia da|testa|faccetta|bocca|pancia)\b[^|]*\b(?:dovresti"
            r"|sacchetto|sacco|maschera|nessuno)\b",
            r"\bla tua faccia sembra\b",
            r"\b(?:un )?(?:sacchetto|sacco) in testa\b",
        ),
    },
    "pt": {
        "exposure": (
            r"\b(?:vou|vamos|eu vou) (?:postar|publicar|vazar|divulgar|espalhar|mandar|colocar|por)"
            r"(?: \w+){0,3} (?:teu|tua|teus|tuas|seu|sua|seus|suas) (?:endereco|numero|telefone"
            r"|fotos?|nudes|dados|placa|mensagens|prints|ip)\b",
            r"\btenho (?:teu|tua|seu|sua) (?:endereco|numero|ip|placa) (?:do|da|pelo|pela"
            r"|gracas ao) (?:\w+ )?(?:pedido|entrega|pacote|nota|recibo|formulario)\b",
            r"\bsei (?:a tua placa|a sua placa|tua placa|sua placa|onde (?:voce |vc |tu )?"
            r"estaciona\w*)\b",
            r"\bsei (?:a que horas|quando|onde) (?:\w+ ){0,2}(?:tua|teu|sua|seu) (?:filha|filho"
            r"|filhos|mulher|esposa|marido|namorada|namorado|mae|pai|familia|irma|irmao)\b",
        ),
        "conditional_threat": (
            r"\bse (?:quiser|quer|quiseres) (?:voltar|ir|sair|ficar|continuar)(?: \w+){0,3}"
            r" (?:com (?:os|todos os) dentes|inteiro|inteira|vivo|viva|numa peca|em uma peca)\b",
            r"\bseria uma (?:pena|pena mesmo) se (?:tua|teu|sua|seu|alguem) (?:\w+ ){0,3}"
            r"(?:descobrisse|soubesse|visse|ficasse sabendo)\b",
            r"\b(?:traz|traga|leva) (?:um |o |teu |seu )?(?:protetor bucal|capacete|ambulancia)\b"
            r"[^|]*\b(?:nao e brincadeira|to falando serio|serio|vai precisar)\b",
        ),
        "self_harm": (
            r"\bvai (?:morrer|se matar|se enforcar|te enforcar|se jogar)\b(?! (?:de rir|de fome"
            r"|de saudade|de vergonha|de calor|de frio|de tedio)\b)",
            r"\bse (?:enforca|mata)\b",
            r"\b(?:se joga|te joga|pula) (?:de|da|do) (?:uma|um|a|o) (?:ponte|predio|janela"
            r"|penhasco|telhado|sacada)\b",
            r"\bmelhor\b[^|]*\bse (?:voce|vc|tu) (?:desinstalasse|sumisse|morresse"
            r"|nao existisse)\b",
        ),
        "dehumanization": (
            r"\b(?:se multiplicam|se reproduzem|procriam) como (?:ratos|coelhos|baratas|praga"
            r"|uma praga|a peste|moscas|insetos)\b",
            r"\bsao (?:todos )?(?:uns |umas |uma )?(?:ratos|baratas|praga|macacos|insetos"
            r"|pragas)\b",
            r"\bmacac\w* (?:\w+ ){0,2}(?:volta|vai|voltem) (?:pra|para|pro) (?:a )?(?:selva"
            r"|jaula|floresta|africa|arvore)\b",
            r"\b(?:volta|vai|voltem) (?:pra|para|pro) (?:a )?(?:selva|jaula|arvore)\b",
        ),
        "sexism": (
            r"\b(?:as )?(?:mulheres|mulher|meninas|mina|minas|garotas)\b[^|]*\b(?:nao entende"
            r"|nao entendem|nao sabe|nao sabem|lugar de mulher|na cozinha|lavar (?:a )?louca"
            r"|pilotar fogao)\b",
            r"\b(?:vai|volta|voltem) (?:pra|para) (?:a )?(?:cozinha|louca|pia|lavar (?:a )?louca"
            r"|pilotar fogao)\b",
        ),
        "looks": (
            r"\bcom (?:essa|esta|aquela) (?:cara|fuca|tromba|barriga)\b[^|]*\b(?:devia|deveria"
            r"|saco|mascara|ninguem)\b",
            r"\btua cara parece\b|\bsua cara parece\b",
            r"\bsaco na cabeca\b",
            r"\bgorda (?:preguicosa|nojenta|escrota)\b",
        ),
    },
}

# Sarcasm (``hostile:sarcasm``): praise or a sarcasm marker (🙄, 👏) next to a reference to
# failure or stupidity — "another brilliant idea from the guy who failed maths twice 🙄👏".
# Per language: (praise, stupidity) regular expressions, matched like the patterns above.
SARCASM_MARKERS = frozenset("🙄👏")
SARCASM: Mapping[str, tuple[str, str]] = {
    "en": (
        r"\b(?:genius|brilliant|bright|great idea|great plan|smart|einstein|wow|clever)\b",
        r"\b(?:[0-2]|one|two|a single|your last) brain ?cells?\b|\b(?:failed|flunked|couldn't"
        r" pass|could not pass|can't pass) (?:\w+ ){0,2}(?:maths|math|school|exam|test|grade"
        r"|twice|again)\b|\bcan't (?:even )?(?:spell|write|read|count)\b|\bwho (?:couldn't"
        r"|can't|cannot) (?:spell|write|read|count|tie)\b",
    ),
    "es": (
        r"\b(?:genial|genio|brillante|lumbrera|listo|listillo|einstein|que idea|gran idea)\b",
        r"\b(?:unica|ultima|una|1|dos|2) neuronas?\b|\bsuspend\w* (?:\w+ ){0,2}(?:dos|tres|2|3)"
        r" veces\b|\brepit\w* (?:\w+ ){0,2}(?:dos|tres|2|3) veces\b|\bno sabe (?:ni )?(?:escribir"
        r"|leer|sumar|contar)\b",
    ),
    "fr": (
        r"\b(?:genie|brillant|bravo|lumiere|einstein|intelligent|quelle idee)\b",
        r"\b(?:sait pas|sais pas|savait pas) (?:ecrire|lire|compter)\b|\bredouble\w* (?:\w+ ){0,2}"
        r"(?:deux|trois|2|3) fois\b|\b(?:deux|2|un|1|seul) neurones?\b|\brate (?:\w+ ){0,2}bac\b",
    ),
    "de": (
        r"\b(?:genie|genial|toll\w*|brillant\w*|schlau\w*|einstein|super idee|klug\w*)\b",
        r"\bsitzengeblieben\b|\b(?:zwei|2|eine|1) gehirnzellen?\b|\bkann (?:nicht mal |nicht )"
        r"(?:schreiben|lesen|rechnen)\b|\bdurchgefallen\b",
    ),
    "it": (
        r"\b(?:geni\w*|brillante|luminare|einstein|che idea|bravo|intelligente)\b",
        r"\bbocciat\w* (?:\w+ ){0,2}(?:due|tre|2|3) volte\b|\b(?:due|2|un|1) neuron\w*\b"
        r"|\bnon sa (?:nemmeno |neanche )?(?:scrivere|leggere|contare)\b|\bripetent\w*\b",
    ),
    "pt": (
        r"\b(?:genial|genio|brilhante|inteligente|einstein|que ideia)\b",
        r"\brepetiu (?:\w+ ){0,2}(?:duas|tres|2|3) vezes\b|\b(?:dois|2|um|1|unico) neuronios?\b"
        r"|\bnao sabe (?:nem )?(?:escrever|ler|contar)\b|\breprovou (?:\w+ ){0,2}(?:duas|tres)"
        r" vezes\b",
    ),
}

# Benign contexts that need a pattern (matched like :data:`HOSTILE_PATTERNS`): a death toll
# is news or history ("19,240 British dead on day one", "murieron más de diez mil soldados").
_TOLL = r"\b(?:\d+|ten|hundreds|thousands|millions|mil|miles|cientos|milliers|millions"
BENIGN_PATTERNS: Mapping[str, tuple[str, ...]] = {
    "en": (rf"{_TOLL}|dozens)(?: \w+){{0,3}} (?:dead|killed|deaths|casualties|died|victims)\b",),
    "es": (
        rf"{_TOLL}|decenas)(?: \w+){{0,3}} (?:muertos|victimas|fallecidos|bajas)\b",
        r"\b(?:murieron|fallecieron) (?:\w+ ){0,3}(?:\d+|mil|miles|cientos|decenas)\b",
    ),
    "fr": (rf"{_TOLL}|dizaines|centaines)(?: \w+){{0,3}} (?:morts|victimes|tues|deces)\b",),
    "de": (
        r"\b(?:\d+|tausende|hunderte|millionen)(?: \w+){0,3} (?:tote|toten|opfer"
        r"|gefallene)\b",
    ),
    "it": (
        r"\b(?:\d+|migliaia|centinaia|milioni)(?: \w+){0,3} (?:morti|vittime|caduti)\b",
        r"\b(?:morirono|morti) (?:\w+ ){0,3}(?:\d+|migliaia|centinaia|milioni)\b",
    ),
    "pt": (
        r"\b(?:\d+|milhares|centenas|milhoes|mil)(?: \w+){0,3} (?:mortos|vitimas|baixas)\b",
        r"\b(?:morreram|morrem) (?:\w+ ){0,3}(?:\d+|milhares|centenas|milhoes|mil)\b",
    ),
}

# Censored spellings of slurs ("f*g", "f@ggot"), matched on the folded text before it is split
# into words (the symbols would be lost).
CENSORED_SLURS: tuple[str, ...] = (
    r"(?<!\w)f[\*@#\.\-_]+g(?:s|gots?)?(?!\w)",
    r"(?<!\w)f[a@4\*][g\*]{2}[o0\*]ts?(?!\w)",
    r"(?<!\w)f[\*@#]gg?[o0\*]?ts?(?!\w)",
)

HOSTILE_PATTERNS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    language: {**patterns, **_EXTRA_PATTERNS.get(language, {})}
    for language, patterns in _BASE_PATTERNS.items()
}

# English idioms that VADER misreads, rewritten before VADER reads the text (the original or a
# translation). Regular expressions, matched case-insensitively on whole words. Praise slang
# becomes praise; technical phrases lose a polarity they do not carry; machine-translation
# artefacts of fine source phrases ("modo oscuro" -> "dark way") become neutral.
ENGLISH_REWRITES: tuple[tuple[str, str], ...] = (
    (r"\b(is|so|that's|thats|looks|was|sounds) (sick|insane|wicked|nuts|crazy)\b", r"\1 great"),
    (r"\binsane\b", "amazing"),
    (r"\bbadass\b", "awesome"),
    (r"\b(killing|killed|crushing|crushed|nailed|smashed) it\b", "did great"),
    (r"\b(killed|kills) me\b", "made me laugh"),
    (r"\bno (worries|worry|problem|problems|prob)\b", "fine"),
    (r"\b(dark|shady|obscure|sombre) (mode|way|modality|theme)\b", "night theme"),
    (r"\bholy (shit|crap|cow)\b", "wow"),
    (r"\b(bloody|fucking|freaking|effing) hell\b", "wow"),
    # Happy swearing: a swear word intensifying praise is "really".
    (
        r"\b(fucking|fuckin|bloody|damn|damned|freaking|effing|hella) (good|great|awesome|amazing"
        r"|beautiful|gorgeous|brilliant|lovely|nice|cool|delicious|tasty|fun|happy|proud|perfect"
        r"|love)\b",
        r"really \2",
    ),
    (r"\bdoes not spend at all\b", "fine"),
    (
        r"\bkill(s|ed|ing)? (the |this |a )?(process|server|job|task|tab|app|build|container)",
        r"stop \2\3",
    ),
    (r"\bthe die is cast\b", "it is decided"),
    (r"\b(i'm|im|i am) (dying|dead)\b", "i am laughing"),
)

# Emoji and emoticons with a clear polarity in chat. VADER reads emoji too (by their names);
# these are for languages where VADER does not run, and as a correction where it does.
POSITIVE_EMOJI = frozenset(
    "😀😃😄😁😆😅😂🤣😊😇🙂😉😍🥰😘😎🤩🥳🎉🎊🎂🎈🎁👏🙌👍💪🔥✨🌟⭐❤🧡💛💚💙💜🤍💖💕💯🏆🥇😺😸😹🤗☀🌞"
)
NEGATIVE_EMOJI = frozenset("😢😭😞😔😟🙁☹😩😫😠😡🤬💔👎🖕💩🤮🙄😤😒")
