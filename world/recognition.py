"""What was said, from what whisper heard: its alternatives read against what the mirror can do.

Whisper hears a kiosk's commands imperfectly: a painter's name as other words ("Klimt"
→ "glimmed", "Camelot" → "the camera a lot"), a one-word command as other words ("undo" → "I do"),
the right sentence only as its third guess. The recogniser gets whisper's n-best (from one or two
decodes, each with its log-probability per token) and the current scene, and picks the reading
that makes most sense:

1. every alternative as heard;
2. the same with its unknown words (in no catalog phrase and no command) replaced by the catalog
   phrase that sounds nearest (world/phonetics.py), looked for only among what the words before
   can introduce: after "look like" a style, after "take me" a place, after "give me" a prop;
3. a short utterance compared with the short commands as a whole ("and do" → "undo"), or found
   among whisper's stock mishearings of them ("I do" → "undo").

Each reading is scored: whisper's log-probability, plus a bonus when it changes the scene with
what the catalog can draw (a kiosk is spoken to in commands), minus the distance of a sound-alike
replacement and a little for each word it leaves unexplained. When no reading makes sense and one
has unknown words where a catalog thing belongs, whisper's readings under a prompt of the
nearest-sounding catalog phrases (`reask_prompt`, which speech asks whisper with itself) count too. The best reading is interpreted by the full
interpreter; the event says what was heard and what was understood.

When the best reading and the best one that would make another scene score within DOUBT_MARGIN of
each other, the best is applied and the other is kept as a `Doubt` ("did you mean Monet?"): the
session offers it, and `Doubt.answer` reads the reply ("yes", "the other one", its name; "no").
Never for a command whose readings all make the same scene.

Tuned on tools/bench/speech_tuning.py's spoken set, never on the held-out one.

The object library's ~1,200 names (world/objects.py) explain the words of a reading, but do not
count as known when looking for misheard words: they are everyday words ("water", "door"), and
whisper hears a name it does not know as just such words ("take me to the water door" is Mordor).
Where a thing may be named they are sound-alike candidates only when long and very near
(LIBRARY_SIMILARITY): whisper spells everyday things right when it hears them, and on spoken
library commands the looser match turned its mishearings into other things ("a nod" → a knot,
"a rubber nut" → a euro banknote) more often than it recovered one.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Iterable, Literal, Sequence

import numpy as np

from world import objects
from world.interpreter import Interpretation, Interpreter
from world.phonetics import Sounds, spell
from world.phrases import normalise, phrase_in
from world.scene import Scene

# Said alone, these are commands (world/interpreter.py reads them); compared as a whole.
SHORT_COMMANDS = ("undo", "redo", "reset", "start over", "clear it all", "bigger", "smaller", "huge", "tiny",
                  "no", "nope", "go back", "start again")
# Whisper tiny.en's stock mishearings of a one-word command said alone, which sound too unlike it
# letter by letter to be found as a sound-alike ("undo" → "I do": the nasal is lost, and "I do"
# is as near to "redo"). Each is heard on espeak-ng voices through the browser's Opus path.
MISHEARD_SHORT = {"i do": "undo"}
MISHEARD_SIMILARITY = 0.85  # taken for the command at the cost of a near sound-alike
HYPOTHESES = 4  # whisper readings per decode to choose among (a beam this wide): on the tuning set 4 read as well as 5, 3 worse
# What the words before a stretch of unknown words say it can be: the last of these before it
# opens a slot ("make it look like ___": a style). Words after no cue are never replaced.
_CUES = (
    (r"\b(look|looks) like|\bstyle of|\b(paint|painted|draw|drawn|do|make) (me|it|us|everything)( look)? (like|as)"
     r"|\blike", ("style",)),
    (r"\b(take|put|send|beam|drop|bring) (me|us)( to| in| into| on| at| over to)?"
     r"|\b(go|be|visit|lets go)( to| in| at| on)?|\bsomewhere", ("theme",)),
    (r"\b(give|hand|get|bring) me|\bi (want|need|d like|would like|wanna)|\bcan i (have|get)|\b(hold|wear|add)",
     ("prop",)),
    (r"\b(make|turn|paint|colou?r|change) (it|that|them|the \w+)( to| into)?", ("color", "style")),
    (r"\b(not|no|meant|mean|said|actually|instead|rather)", ("prop", "theme", "style", "color")),
)
_CUE_PATTERNS = [(re.compile(rf"(?:{pattern})\b"), groups) for pattern, groups in _CUES]
MAX_WINDOW = 4  # words replaced by one catalog phrase at most ("the camera a lot" → "camelot")
CANDIDATES = 6  # nearest-sounding phrases offered to whisper in a second decode
# Words of ordinary speech that are never a misheard name.
_FUNCTION_WORDS = frozenset("""
a an the and or but of to in on at by for with from into onto up down out off over under about as is are was
were be been being am do does did done i me my mine you your it its this that these those there here we us our
they them their he him his she her what which who whom where when why how all any some no not nope yes yeah ok
okay please thanks thank just very really so too also then now again more less most much many lot can could
would should will shall may might must let lets like want make made give take put get go going gone come see
look looks looking one two three four five first last next new old good great nice cool little big
""".split())

# Scores, in units of whisper's log-probability per token (its n-best differ by 0.05-1.0).
CHANGE_BONUS = 0.6  # a reading that does something beats one that does nothing, within reason
SOUND_PENALTY = 2.0  # per unit of dissimilarity of a sound-alike replacement: 0.8 similar costs 0.4
UNKNOWN_PENALTY = 0.3  # per word of a reading that is in no command and no catalog phrase
MIN_SIMILARITY = 0.72  # below this a sound-alike is a guess, not a hearing
MIN_SIMILARITY_SHORT = 0.85  # for phrases of three sounds or fewer
SAME_SOUND = 0.95  # real words taken for a short command must sound the same
LIBRARY_SIMILARITY = 0.85  # a library name taken for what was heard ("dinosore" → dinosaur)...
LIBRARY_SOUNDS = 5  # ...of at least this many sound classes ("knot", "moon", "melon" are too short)
# "Did you mean …?" when the best reading that makes another scene scores this close to the chosen
# one. Measured on the spoken tuning set (never the held-out set): its 36 commands in three rotations
# of its voices and speeds over four noises (white, hum 20 dB; brown, pink 15 dB), 432 in all. At 0.1
# the other is offered for 15 commands (3.5 %): 6 understood wrong where the other was right, 5
# understood right (a needless question), 4 where neither was. At 0.05: 8 (3 rescued, 4 needless);
# at 0.15: 20 (6, 7); at 0.25: 27 (7, 9). Beyond 0.1 it asks more and rescues no more.
DOUBT_MARGIN = 0.1
# A reply to "did you mean …?", said or typed (whisper's best reading of it, normalised).
YES = frozenset({"yes", "yeah", "yep", "yup", "yes please", "yes i did", "i did", "the other one", "the other",
                 "other one", "yes the other one", "that one", "yes that one", "correct", "exactly"})
NO = frozenset({"no", "nope", "no thanks", "no thank you", "no no", "not that", "keep it", "no keep it"})
_YES, _NO = frozenset(map(normalise, YES)), frozenset(map(normalise, NO))  # "the other one" → "the other 1"


@dataclass(frozen=True)
class Reading:
    text: str
    score: float
    replaced: tuple[tuple[str, str], ...] = ()  # (heard, meant) sound-alike replacements


@dataclass(frozen=True)
class Doubt:
    """The reading the recogniser nearly chose, which makes another scene: "did you mean `name`?"."""
    name: str  # the other reading's words where it differs from the chosen one ("Monet"), or all of it
    interpretation: Interpretation  # the other reading, applied to the scene the command was said in
    margin: float  # how far below the chosen reading it scored (at most DOUBT_MARGIN)

    def answer(self, said: str) -> Literal["yes", "no"] | None:
        """What a reply says to the question: "yes" (yes, the other one, or the name), "no", or
        None (it is no answer: another command)."""
        words = normalise(said)
        name = normalise(self.name)
        if words in _YES or (name and (phrase_in(words, (name,)) or _sounds_like(words, name))):
            return "yes"
        return "no" if words in _NO else None


@dataclass(frozen=True)
class Choice:
    """What the recogniser understood, and the other reading it was unsure of, if any."""
    understood: Interpretation
    doubt: Doubt | None = None


def short_prompt() -> str:
    """The prompt of whisper's second decode of a short utterance: the one-word commands, as
    sentences ("Undo. Redo. Reset. … No."). Not the colours: after a list that ended in twelve of
    them, whisper base read a lone "undo" as "Blue." first (the browser test failed 5 runs in 11),
    and a colour said alone is heard by the first decode, whose prompt names colours. Measured on
    168 one-word commands in noise (tests' voices; not the held-out set): commands and colours 154,
    commands only 152, no second decode 147; on the tuning set 29, 30 and 29 of 36."""
    words = [*SHORT_COMMANDS[:4], *SHORT_COMMANDS[5:10]]
    return " ".join(f"{w[0].upper()}{w[1:]}." for w in words)


def _threshold(phrase: str) -> float:
    """The similarity a sound-alike needs: short names are near too many things ("noir")."""
    return MIN_SIMILARITY if len(spell(phrase)) > 3 else MIN_SIMILARITY_SHORT


class Recogniser:
    """Whisper's alternatives + the scene → the interpretation of the reading that makes most sense."""

    def __init__(self, interpreter: Interpreter) -> None:
        self.interpreter = interpreter
        self._rules = Interpreter(interpreter.catalog)  # no embeddings: cheap enough to try every reading
        catalog = interpreter.catalog
        table = interpreter.phrases.table
        # Known: words of commands and of the hand-made catalog; explained: also the library's names.
        self._known = _FUNCTION_WORDS | interpreter.vocabulary(library=False)
        self._explained = self._known | interpreter.vocabulary()
        self._groups: dict[str, tuple[list[str], Sounds]] = {}
        for group in ("prop", "theme", "style", "color"):
            # Digits have no sound here ("8 bit" would sound like "bit"): such phrases are left out.
            phrases = [p for p, (g, i) in table.items() if g == group and not re.search(r"\d", p)
                       and i not in catalog.objects]
            self._groups[group] = _with_articles(group, phrases)
        # Library objects by their long names and synonyms, without plurals (whisper spells those).
        long_names = sorted({normalise(p) for e in catalog.objects.values() for p in objects.singular(e)
                             if len(spell(p)) >= LIBRARY_SOUNDS and not re.search(r"\d", p)})
        self._library = _with_articles("prop", long_names)
        self._short = Sounds(list(SHORT_COMMANDS) + list(interpreter.catalog.colors))

    def understand(self, scene: Scene, alternatives: Sequence[tuple[str, float]],
                   reasked: Sequence[tuple[str, float]] = ()) -> Interpretation:
        """`alternatives`: (text, log-probability per token), whisper's best first. `reasked`: its
        readings of the same audio under the prompt `reask_prompt` chose for these alternatives
        (speech asks whisper again itself: speech/transcriber.py); they count only when no
        alternative makes sense, so that whisper, told the nearest-sounding catalog phrases, judges
        between them where the first hearing found nothing the mirror can do."""
        return self.choose(scene, alternatives, reasked).understood

    def choose(self, scene: Scene, alternatives: Sequence[tuple[str, float]],
               reasked: Sequence[tuple[str, float]] = ()) -> Choice:
        """`understand`, and the `Doubt` when the best reading that makes another scene scored
        within DOUBT_MARGIN of the chosen one."""
        judge = _Judge(self, scene)
        readings = [r for text, score in alternatives for r in self._readings(text, score)]
        if not readings:
            return Choice(self.interpreter.apply(scene, ""))
        best = max(readings, key=judge.worth)
        if reasked and not judge.sense(best):
            readings += [r for text, score in reasked for r in self._readings(text, score)]
            best = max(readings, key=judge.worth)
        result = self.interpreter.apply(scene, best.text)
        result.heard = alternatives[0][0]
        result.replaced = list(best.replaced)
        return Choice(result, self._doubt(scene, best, readings, judge, result))

    def _doubt(self, scene: Scene, best: Reading, readings: list[Reading], judge: "_Judge",
               understood: Interpretation) -> Doubt | None:
        """The best reading that makes a scene other than `best`'s, when it does something the
        catalog can draw and scored within DOUBT_MARGIN of it."""
        others = [r for r in readings if judge.sense(r) and judge.state(r) != judge.state(best)]
        if not others:
            return None
        other = max(others, key=judge.worth)
        margin = judge.worth(best) - judge.worth(other)
        if margin > DOUBT_MARGIN:
            return None
        meant = self.interpreter.apply(scene, other.text)
        if not meant.changed or meant.scene.state == understood.scene.state:
            return None  # the full interpreter (meaning, library) makes them one scene after all
        meant.heard, meant.replaced = understood.heard, list(other.replaced)
        name = _difference(best.text, other.text)
        if not self.interpreter.phrases.mentions(normalise(name)):
            name = other.text  # "did you mean serve?" says nothing: the whole reading does
        return Doubt(name, meant, margin)

    def reask_prompt(self, alternatives: Sequence[tuple[str, float]], scene: Scene | None = None) -> str | None:
        """The prompt to decode an utterance under once more, given whisper's readings of it
        ((text, log-probability per token), best first), or None: example sentences of the catalog
        phrases that sound nearest to the first reading's unknown words where a catalog thing
        belongs. The speech path calls it on its own thread (a Transcriber's `reask`). Given the
        `scene` it is said in, None too when the reading `understand` would choose already makes
        sense there: the second hearing would not count (on the tuning set, 51 of 59 second
        decodes were of such utterances: ~100 ms each, after the first)."""
        if scene is not None:
            judge = _Judge(self, scene)
            readings = [r for text, score in alternatives for r in self._readings(text, score)]
            if readings and judge.sense(max(readings, key=judge.worth)):
                return None
        return self._candidates_prompt([text for text, _ in alternatives])

    def _candidates_prompt(self, texts: Sequence[str]) -> str | None:
        """Example sentences for a second decode: the first alternative's words up to its slot,
        then each of the catalog phrases that sound nearest to what it heard there."""
        for text in texts:
            words = re.findall(r"[A-Za-z0-9'’]+", text)
            norm = [normalise(w) for w in words]
            slot = self._slot(norm)
            if slot is None or not any(w and w not in self._known for w in norm[slot[0]:]):
                continue
            start, groups = slot
            heard = spell(" ".join(norm[start:]))
            scored: dict[str, float] = {}
            for group in groups:
                phrases, sounds = self._groups[group]
                similarity = sounds.similarities(heard)
                for k in np.argsort(-similarity)[:3 * CANDIDATES]:
                    bare = re.sub(r"^(to|the|a) ", "", phrases[k])  # "the matrix" and "matrix" are one
                    scored[bare] = max(scored.get(bare, 0.0), float(similarity[k]))
            carrier = " ".join(words[:start])
            chosen = sorted(scored, key=scored.get, reverse=True)[:CANDIDATES]
            return " ".join(f"{carrier[:1].upper()}{carrier[1:]} {p}." for p in chosen)
        return None


    def _readings(self, text: str, score: float) -> Iterable[Reading]:
        """The readings of one whisper hypothesis, each scored: as heard, with sound-alikes
        replaced, and (short) as the short command it sounds like."""
        words = re.findall(r"[A-Za-z0-9'’]+", text)
        if not words:
            return
        yield Reading(" ".join(words), score - self._unexplained(words))
        fixed = self._sound_alikes(words)
        if fixed is not None:
            yield Reading(fixed.text, score - fixed.score - self._unexplained(fixed.text.split()), fixed.replaced)
        # A short command misheard: one word, or a few with one that means nothing ("clear me tall"),
        # or a few real words that sound just like it ("and do"); not "oh no", which is not "no".
        if len(words) <= 3:
            heard = " ".join(words)
            said = normalise(heard)
            similarity = self._short.similarities(spell(heard))
            best = int(similarity.argmax())
            needed = MIN_SIMILARITY if len(words) == 1 or self._unexplained(words) else SAME_SOUND
            if similarity[best] >= needed and self._short.phrases[best] != said:
                meant = self._short.phrases[best]
                yield Reading(meant, score - SOUND_PENALTY * (1 - similarity[best]), ((heard, meant),))
            elif said in MISHEARD_SHORT:
                meant = MISHEARD_SHORT[said]
                yield Reading(meant, score - SOUND_PENALTY * (1 - MISHEARD_SIMILARITY), ((heard, meant),))

    def _unexplained(self, words: list[str]) -> float:
        """A penalty for each word that is in no command and no catalog phrase: a reading that
        leaves "elson" in "take me to Elson castle" explains less of what was said than one that
        reads it as "elsa's"."""
        return UNKNOWN_PENALTY * sum(1 for w in words if (n := normalise(w)) and n not in self._explained)

    def _sound_alikes(self, words: list[str]) -> Reading | None:
        """`words` with the stretch after the last cue that holds unknown words (in no catalog
        phrase and no command) replaced by the nearest-sounding phrase of the cue's groups; None
        when there is no such stretch or nothing sounds near enough. The returned score is the
        sound penalty."""
        norm = [normalise(w) for w in words]
        slot = self._slot(norm)
        if slot is None:
            return None
        start, groups = slot
        unknown = [i for i in range(start, len(words)) if norm[i] and norm[i] not in self._known]
        if not unknown:
            return None
        # The replaced words cover every unknown word of the slot ("transyl mania", not "mania"),
        # and may take in known words around them ("the racket" → "the arrakis").
        best: tuple[float, int, int, str] | None = None  # (similarity, first, end, phrase)
        for first in range(start, unknown[0] + 1):
            for end in range(unknown[-1] + 1, min(len(words), first + MAX_WINDOW) + 1):
                meant, similarity = self._nearest(" ".join(norm[first:end]), groups)
                if meant is not None and (best is None or (similarity, end - first) > (best[0], best[2] - best[1])):
                    best = (similarity, first, end, meant)
        if best is None or best[0] < _threshold(best[3]) or best[3] == " ".join(norm[best[1]:best[2]]):
            return None  # nothing near enough, or the words are the name already ("dinosaur")
        similarity, first, end, meant = best
        text = " ".join([*words[:first], meant, *words[end:]])
        return Reading(text, SOUND_PENALTY * (1 - similarity), ((" ".join(words[first:end]), meant),))

    def _slot(self, norm: list[str]) -> tuple[int, tuple[str, ...]] | None:
        """(first word after the last cue, the groups it opens), or None without a cue. After a
        correction cue the group is that of the thing named before ("not a crown, a ___": a prop)."""
        text = " ".join(norm)
        last: tuple[int, int, tuple[str, ...]] | None = None  # (end char, length, groups)
        for pattern, groups in _CUE_PATTERNS:
            for match in pattern.finditer(text):
                key = (match.end(), match.end() - match.start(), groups)
                if last is None or key[:2] > last[:2]:
                    last = key
        if last is None:
            return None
        start, groups = len(text[:last[0]].split()), last[2]
        if len(groups) > 2:
            # "not a crown, a ___": after a correction the slot follows what it corrects, and is of its kind.
            named = self.interpreter.phrases.mentions(" ".join(norm[start:]))
            if named:
                start, groups = start + named[-1].end, (named[-1].group,)
        return start, groups

    def _nearest(self, heard: str, groups: list[str]) -> tuple[str | None, float]:
        """The phrase of `groups` that sounds nearest to `heard`, and how near. Of equally near ones
        the one that starts with the same word ("the racket" → "the arrakis", not "to arrakis")."""
        spelling, first = spell(heard), heard.split()[0]
        best, best_key = None, (0.0, False)
        for group in groups:
            best, best_key = _nearest_of(self._groups[group], spelling, first, best, best_key)
        if "prop" in groups:
            # A library name only where it is nearer than any catalog phrase, and very near.
            thing, key = _nearest_of(self._library, spelling, first, None, (0.0, False))
            if thing is not None and key[0] >= LIBRARY_SIMILARITY and key > best_key:
                best, best_key = thing, key
        return best, best_key[0]


class _Judge:
    """Readings weighed in one scene, each text read by the rules once: how much sense it makes as
    a command (a bonus when it changes the scene with what the catalog can draw; a change that only
    keeps free text, "take me to the racket", gets none: a misheard name reads like that), and the
    scene it makes."""

    def __init__(self, recogniser: Recogniser, scene: Scene) -> None:
        self._rules = recogniser._rules
        self._scene = scene
        self._read: dict[str, Interpretation] = {}

    def _result(self, reading: Reading) -> Interpretation:
        if reading.text not in self._read:
            self._read[reading.text] = self._rules.apply(self._scene, reading.text)
        return self._read[reading.text]

    def sense(self, reading: Reading) -> bool:
        result = self._result(reading)
        return result.changed and not result.not_drawn

    def state(self, reading: Reading):
        return self._result(reading).scene.state

    def worth(self, reading: Reading) -> float:
        return reading.score + (CHANGE_BONUS if self.sense(reading) else 0.0)


def _difference(chosen: str, other: str) -> str:
    """The words of `other` where it differs from `chosen` ("Make me look like a Monet" against
    "Make it look like anime": "Monet"), or all of `other` when those are only little words."""
    words = other.split()
    matcher = difflib.SequenceMatcher(a=[normalise(w) for w in chosen.split()], b=[normalise(w) for w in words],
                                      autojunk=False)
    named = []  # the stretches that differ and say more than little words ("me" does not)
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        stretch = [w for w in words[j1:j2] if normalise(w) not in _FUNCTION_WORDS or named]
        if tag != "equal" and any(normalise(w) not in _FUNCTION_WORDS for w in stretch):
            named += stretch
    return " ".join(named).strip(" ,.!?") if named else other.strip(" ,.!?")


def _sounds_like(said: str, name: str) -> bool:
    """A reply that is the name as whisper misspells it ("Monnay" for "Monet")."""
    if not said:
        return False
    return float(Sounds([name]).similarities(spell(said))[0]) >= MIN_SIMILARITY_SHORT


def _with_articles(group: str, phrases: list[str]) -> tuple[list[str], Sounds]:
    """The phrases and each with the little word whisper runs into a name ("to mordor" → "tomorrow")."""
    articles = {"theme": ("to", "the"), "prop": ("a", "the")}.get(group, ())
    phrases = phrases + [f"{article} {p}" for p in phrases for article in articles]
    return phrases, Sounds(phrases)


def _nearest_of(group: tuple[list[str], Sounds], spelling: str, first: str, best: str | None,
                best_key: tuple[float, bool]) -> tuple[str | None, tuple[float, bool]]:
    """The better of (best, best_key) and the nearest phrase of `group`: nearest first, then the one
    that starts with the word heard first."""
    phrases, sounds = group
    similarity = sounds.similarities(spelling)
    for index in np.flatnonzero(similarity >= similarity.max() - 1e-6):
        key = (float(similarity[index]), phrases[index].split()[0] == first)
        if key > best_key:
            best, best_key = phrases[index], key
    return best, best_key
