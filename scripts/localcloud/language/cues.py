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

__all__ = ["CUES", "ENGLISH_REWRITES", "HOSTILE_PATTERNS", "NEGATIVE_EMOJI", "POSITIVE_EMOJI"]

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
        """),
        "insults": _split("""
            idiot*; moron*; imbecile*; stupid; dumb; dumbest; retard*; loser*; scum*; scumbag*
            clown; pathetic; worthless; useless; disgusting; ugly; cow; pig; bitch*; whore*
            asshole*; bastard*; jerk*; freak*; trash; garbage; dickhead*; twat*; cunt*
            spineless; coward*; weasel*; worm; maggot*; donkey; brainless; halfwit*; nitwit*
            numpty; muppet; lowlife*; parasite*
            creep*; braindead; tosser*; wanker*; prick*; douche*; dumbass*; degenerate*
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
            service; vm; cluster*; database*; cache; tab; tabs; browser; compil*; kernel; worker*
            thread*; instance*; node; git; lint*; api; endpoint*; timeout*; restart*; reboot*
            boss; level; raid; match; game; games; gg; opponent*; team; league; tournament
            striker; goal; goals; karaoke; song; album; track; gig; concert; trailer; record
            cake; pizza; food; dish; meal; dessert; cookies; cheese; burger; pasta; recipe
            to die for; dangerously good; sinfully good; laughing; laughter; crying laughing
            lol; lmao; rofl; haha*
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
        """),
        "affection": _split("""
            j'adore; je t'adore; je t'aime; bravo; felicitations; trop fort*; t'es le meilleur
            t'es la meilleure; merci; genial*
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
HOSTILE_PATTERNS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
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
