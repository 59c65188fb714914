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

Format: one phrase per entry, lower case, accents optional (matching folds them away); words
separated by spaces; a trailing ``*`` on a word matches any ending ("vollidiot*" matches
"Vollidioten"). Entries are matched on whole words only, so "die" (the German article) can never
match anything it is not.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CUES", "ENGLISH_REWRITES", "NEGATIVE_EMOJI", "POSITIVE_EMOJI"]

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
        """),
        "insults": _split("""
            idiot*; moron*; imbecile*; stupid; dumb; dumbest; retard*; loser*; scum*; scumbag*
            clown; pathetic; worthless; useless; disgusting; ugly; cow; pig; bitch*; whore*
            asshole*; bastard*; jerk*; freak*; trash; garbage; joke; dickhead*; twat*; cunt*
            creep*; braindead; tosser*; wanker*; prick*; douche*; dumbass*; degenerate*
        """),
        "profanity": _split("fuck*; shit*; damn*; crap*; bloody hell; wtf; omfg"),
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
    },
    "es": {
        "hostile": _split("""
            te odio; os odio; vete al infierno; vete a la mierda; vete a la verga; que te den
            que te jodan; jodete; callate; cierra la boca; cierra el pico; largate; piérdete
            te voy a matar; te mato; te voy a partir; te parto la cara; ojala te mueras
            muerete; nadie te quiere; me das asco; que asco me das; hijo de puta; hija de puta
            son una plaga; son basura; hay que echarlos; fuera de mi pais; no vales para nada
            no vales nada; me cago en tu
        """),
        "insults": _split("""
            idiota*; imbecil*; estupid*; tonto; tonta; subnormal*; gilipollas; inutil*
            payaso*; basura; asqueros*; cabron*; pendej*; zorra*; puta; puto; maldit*
            retrasad*; mongol*; pringad*; capullo*; mamon*; cerd*; perdedor*; patetic*
            fracasad*; bocazas; desgraciad*; mierdas
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
    },
    "fr": {
        "hostile": _split("""
            je te deteste; je te hais; ta gueule; ferme la; ferme ta gueule; va te faire
            casse toi; degage; va mourir; va crever; creve; je vais te tuer; je vais te defoncer
            personne ne t'aime; personne t'aime; tu me degoutes; nique ta mere; ntm; fdp
            sont des parasites; sont des animaux; il faut tous les virer; rentre chez toi
            arabes dehors; noirs dehors; juifs dehors; immigres dehors; etrangers dehors
            va te pendre; je vais te casser; casser la gueule
        """),
        "insults": _split("""
            connard*; connasse*; con; conne; idiot*; imbecile*; debile*; abruti*; cretin*
            minable*; ordure*; salope*; salaud*; pute; enfoire*; batard*; nul; nulle; moche
            stupide*; pauvre con; bouffon*; pd; tocard*; raclure*; merdeux
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
        """),
        "insults": _split("""
            idiot*; vollidiot*; depp*; trottel*; versager*; missgeburt*; opfer; penner*; spast*
            spasti*; wichser*; arschloch*; hurensohn*; schlampe*; miststuck*; drecksau*; dreck
            abschaum; ungeziefer; bastard*; blod*; bloed*; dumm*; hasslich*; erbarmlich*
            widerlich*; vollpfosten*; lauch; lappen; mongo*; behindert*; kackbratze*; hackfresse*
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
    },
    "it": {
        "hostile": _split("""
            ti odio; vi odio; vai all'inferno; vai all inferno; vaffanculo; fanculo
            vai a quel paese; stai zitto; stai zitta; chiudi quella bocca; chiudi la bocca
            sta zitto; sparisci; ti ammazzo; ti uccido; ti spacco; ti rompo; muori
            nessuno ti vuole; mi fai schifo; fai schifo; figlio di puttana
            sono parassiti; vanno cacciati; tornatene a casa; crepa; spero che tu muoia
            spero che ti; ti gonfio; di botte; ti meno
        """),
        "insults": _split("""
            idiota*; imbecille*; stupid*; deficiente*; coglione*; stronz*; cretino*; cretina*
            scemo; scema; bastard*; troia*; puttana*; zoccola*; schifos*; patetic*; inutile*
            testa di cazzo; pezzo di merda; cazzone*; sfigat*; ritardat*; mongoloide*; verme
            fallito*; frocio*
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
    },
    "pt": {
        "hostile": _split("""
            te odeio; vai pro inferno; vai para o inferno; vai tomar no cu; vai se foder
            vai se ferrar; cala a boca; cala essa boca; some daqui; vou te matar; te mato
            vou quebrar sua cara; vou quebrar tua cara; morre; ninguem gosta de voce
            voce me da nojo; me da nojo; filho da puta; sao uma praga
            tem que expulsar; volta pro seu pais; tomara que voce morra; te atropele
            de porrada; vai a merda
        """),
        "insults": _split("""
            idiota*; imbecil*; estupid*; otario*; burro; burra; lixo; nojent*; vadia*; puta
            desgracad*; verme; inutil*; babaca*; cretino*; cretina*; arrombad*; corno; viado
            merda; retardad*; escroto*; palhaco*; fracassad*; ridicul*
        """),
        "profanity": _split("porra; caralho; merda; droga; puta que pariu; foda; pqp"),
        "positive": _split("""
            obrigad*; valeu; incrivel; demais; que demais; muito bom; muito boa; otimo; otima
            animal; show; top; massa; legal; lindo; linda; parabens; feliz aniversario
            ganhamos; vencemos; kkk*; haha*; rs; adoro; amei; perfeito; tudo bem; tudo certo
            sem problema; tranquilo; recomendo; maravilhos*
        """),
        "negative": _split("""
            triste; horrivel; pessim*; decepcao; decepcionad*; exaust*; cansad*; sozinho
            sozinha; quebrou; quebrado; cancelaram; cancelado; atrasad*; atrasou; reprovei
            reprovado; trava; chato; saudade; morreu; odeio; nojo; pior
        """),
        "negators": _split("nao; nunca; jamais; nem; sem; nenhum; nenhuma"),
        "second_person": _split("voce; voces; vc; tu; te; teu; tua; seu; sua; contigo"),
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
