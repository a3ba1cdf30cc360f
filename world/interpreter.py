"""Utterance + scene → new scene: what the person asked the mirror to change.

A rule-based interpreter: normalise the text; whole-utterance commands first (undo, redo, reset,
corrections and terse negation: world/corrections.py); else split it into clauses, find catalog
mentions (world/phrases.py: names too, the most specific one winning) and an intent per clause
(add, change, remove, theme, style, strength). A clause without its own verb inherits the previous
clause's ("give me a blue sword and a crown"). What the catalog cannot draw is kept as free text
in the scene's extras (the generative renderer's prompt uses them) and reported, with the nearest
things it can draw, in `Interpretation.not_drawn`: never silently something else.

The object library (world/objects.py) is looked up after the hand-made props: its names exactly,
then, for a thing asked for that nothing names, by meaning (MiniLM) above LIBRARY_THRESHOLD. Its
names are everyday words, so they count only where a thing is asked for: after "give me"-like
verbs, a bare "a dinosaur", or a change or removal of one that is there ("I like pizza" adds none).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from world import corrections, edits
from world.catalog import ANCHORS, Catalog
from world.objects import meaning_phrases, meaning_vectors
from world.phrases import COMMON_WORDS, SIZE_WORDS, Mention, Phrases, normalise, phrase_in
from world.scene import Scene

_ANCHOR_WORDS = {
    "right hand": "right_hand", "left hand": "left_hand", "my hand": "right_hand", "hand": "right_hand",
    "head": "head", "face": "face", "eyes": "face", "neck": "neck", "back": "back",
    "shoulders": "shoulders", "shoulder": "beside", "waist": "waist", "feet": "feet", "foot": "feet",
}
# Places about the person as a whole, said without a body part: looked for before those.
_PLACEMENTS = {
    "all around me": "around", "around me": "around", "all around": "around", "everywhere": "around",
    "behind me": "behind", "in the background": "behind", "next to me": "next_to", "beside me": "next_to",
    "by my side": "next_to", "at my side": "next_to", "at my feet": "feet", "on the floor": "feet",
}
# What may stand beside a thing named in a clause with no verb for it to still ask for it ("a
# dinosaur please", "how about a cat on my head"); any other word makes it talk, not a request.
_BARE = {"a", "an", "the", "some", "please", "now", "too", "also", "another", "more", "one", "two", "three",
         "1", "2", "3", "4", "5", "how", "about", "of", "on", "in", "at", "to", "my", "me", "with", "oh", "ooh"}
_UNDO = ("undo", "go back", "take that back", "undo that", "back")
_REDO = ("redo", "do it again", "put it back")
_RESET = ("start over", "reset", "start again", "clear everything", "begin again", "from scratch", "clear it all",
          "clear all", "clear it", "wipe it all", "wipe everything", "wipe it", "start fresh", "fresh start")
_REMOVE_VERBS = ("remove", "take away", "take off", "get rid of", "no more", "without", "lose the", "drop the",
                 "delete", "take it off", "throw away", "away with")
# Removal said around the thing: "take the crown off", "put the sword away".
_REMOVE_AROUND = re.compile(r"\b(take|get|pull)\b(?: \w+){1,3} off\b|\bput\b(?: \w+){1,3} away\b")
_UNWANTED = ("don t want", "do not want", "dont want", "don t need", "do not need", "don t like", "do not like")
_REMOVE_ALL = ("remove everything", "take it all off", "take everything off", "remove all", "no more props",
               "take everything away", "get rid of everything")
_ADD_VERBS = ("give me", "i want", "i d like", "i would like", "add", "put", "i need", "hand me", "can i have",
              "can i get", "let me have", "bring me", "show me with", "wear", "holding", "hold")
_CHANGE_VERBS = ("make", "turn", "change", "paint", "color", "colour")
_THEME_CUES = ("put me in", "take me to", "send me to", "i want to be", "go to", "background", "lets go to",
               "in the", "at the", "on the", "to the")
_PLACE_CUES = ("put me in", "take me to", "send me to", "i want to be in", "lets go to", "put me on", "take me into")
_STRONGER = ("more painterly", "stronger", "more style", "more intense", "more artistic", "crank it up")
_WEAKER = ("subtler", "more subtle", "less", "softer", "weaker", "tone it down", "less painterly")
_CLEAR_THEME = ("no background", "remove the background", "normal background", "real background")
_CLEAR_STYLE = ("normal look", "no style", "no filter", "remove the style", "back to normal", "normal style")
# Meaning-match thresholds (cosine, all-MiniLM-L6-v2), per group, set from measurements on this
# catalog: "the planet jupiter"→outer space 0.56, "the arctic"→snowy forest 0.60, "a renaissance
# painting"→oil painting 0.82, "a laser gun"→lightsaber 0.72 are taken; "a dragon"→wings 0.65,
# "a pirate ship"→parrot 0.65, "a flying elephant"→parrot 0.43, "pasta for lunch" 0.29 are not.
# Props need the most: a wrong prop on the body is worse than the thing going to the prompt.
MEANING_THRESHOLD = {"prop": 0.70, "theme": 0.55, "style": 0.60}
# A library object by meaning, when no name matched: the thing asked for against every object's
# name, synonyms and telling keywords. Set on tools/bench/world_objects_tuning.py (never the
# held-out set): of 40 things named by words no object is called, 0.62 draws 21 as a fair object
# and 4 as another ("a brownie" → bear), and none of 24 requests for no thing; 0.58 draws 25 and
# 6, 0.65 draws 18 and 4. Below it the page is told what cannot be drawn, with the nearest things.
LIBRARY_THRESHOLD = 0.62
# A suggestion for something it cannot draw may be looser: it is only offered ("try: wings").
NEAREST_THRESHOLD = 0.45
SUGGESTIONS = 3  # things offered for one it cannot draw
# A library object offered: a little nearer than a catalog entry must be, as there are 800 of them
# to be near by chance ("a feeling of joy" is 0.49 from a red heart, 0.47 from a joystick).
SUGGEST_THRESHOLD = 0.48
_ALL_OF_THEM = re.compile(r"\b(both|them|all of them|them all|all the props|every one)\b")
_NEGATION = re.compile(r"\b(don t|do not|dont|never|no thanks|not)\b")
_FILLER = re.compile(r"\b(a|an|the|some|please|my|me|of|with|pair|like|look|style|it|now|also|can|you|and)\b")
# Words that say nothing about which catalog entry is nearest to a thing it cannot draw.
_STOP = {"a", "an", "the", "some", "of", "with", "and", "in", "on", "at", "to", "my", "me", "it", "please", "big",
         "little", "made", "land", "lot", "lots", "kind", "sort", "one", "like", "look", "real", "really", "very"}


@dataclass
class Interpretation:
    utterance: str
    scene: Scene
    changed: bool
    changes: list[str] = field(default_factory=list)
    explain: str = ""
    # What was asked for that the catalog cannot draw (kept as free text for the generative
    # renderer), each with the nearest thing it can draw, or None: [("palm trees", "beach")].
    not_drawn: list[tuple[str, str | None]] = field(default_factory=list)
    # Spoken: what whisper heard first, when the recogniser understood something else
    # (world/recognition.py), and the sound-alikes it replaced: [("reindrant", "rembrandt")].
    heard: str | None = None
    replaced: list[tuple[str, str]] = field(default_factory=list)

    def to_event(self) -> dict[str, Any]:
        event = {"utterance": self.utterance, "changed": self.changed, "changes": list(self.changes),
                 "explain": self.explain, "scene": self.scene.to_dict(history=False),
                 "not_drawn": [{"text": text, "nearest": nearest} for text, nearest in self.not_drawn]}
        if self.heard is not None:
            event["heard"] = self.heard
        return event


@dataclass(frozen=True)
class _Said:
    """What one clause says: the catalog things it names, sizes, where on the body, its own verb."""
    text: str
    mentions: tuple[Mention, ...]
    sizes: tuple[float, ...]
    anchor: str | None
    verb: str | None  # None: the clause inherits the previous one's

    def of(self, group: str) -> list[Mention]:
        return [m for m in self.mentions if m.group == group]

    @property
    def props(self) -> list[Mention]:
        return self.of("prop")

    @property
    def themes(self) -> list[Mention]:
        return self.of("theme")

    @property
    def styles(self) -> list[Mention]:
        return self.of("style")

    @property
    def colors(self) -> list[Mention]:
        return self.of("color")

    def with_mention(self, mention: Mention) -> "_Said":
        return replace(self, mentions=(*self.mentions, mention))


@dataclass(frozen=True)
class _Step:
    """What one clause did: the scene after it, the intent a verbless next clause inherits, and
    what to tell the person."""
    scene: Scene
    intent: str | None
    notes: tuple[str, ...] = ()
    not_drawn: tuple[str, ...] = ()  # free text added to the scene: things and places it cannot draw


class Interpreter:
    def __init__(self, catalog: Catalog, embedder: Any = None) -> None:
        self.catalog = catalog
        self.embedder = embedder
        self.phrases = Phrases(catalog)
        if embedder is not None:
            catalog_phrases = [(p, g, i) for p, (g, i) in self.phrases.table.items()
                               if g != "color" and i not in catalog.objects]
            self._meaning_keys = [(g, i) for _, g, i in catalog_phrases]
            self._meaning_vectors = embedder.embed([p for p, _, _ in catalog_phrases])
            self._library_keys = meaning_phrases(catalog.objects)
            self._library_vectors = meaning_vectors(self._library_keys, embedder)

    def vocabulary(self, *, library: bool = True) -> frozenset[str]:
        """Every word the rules react to: the catalog's phrases and the commands' words; with
        `library=False`, not the object library's names (everyday words: "water", "door")."""
        table = self.phrases.table if library else [p for p, (_, i) in self.phrases.table.items()
                                                    if i not in self.catalog.objects]
        phrases = (*table, *_ANCHOR_WORDS, *_PLACEMENTS, *_UNDO, *_REDO, *_RESET, *_REMOVE_VERBS, *_UNWANTED,
                   *_REMOVE_ALL, *_ADD_VERBS, *_CHANGE_VERBS, *_THEME_CUES, *_PLACE_CUES, *_STRONGER, *_WEAKER,
                   *_CLEAR_THEME, *_CLEAR_STYLE, *SIZE_WORDS, *corrections.WORDS)
        return frozenset(word for phrase in phrases for word in phrase.split())

    def apply(self, scene: Scene, text: str) -> Interpretation:
        utterance = text if isinstance(text, str) else str(text)
        norm = normalise(utterance)
        result = Interpretation(utterance, scene, False)
        if not norm:
            result.explain = "nothing said"
            return result
        done = self._interpret(scene, norm)
        new, notes = done.scene, list(done.notes)
        if new.state == scene.state:
            new = scene  # edits that cancel out change nothing, not even the version
        elif notes not in (["undo"], ["redo"]):
            # One utterance is one step of history, however many edits it made ("a sword and a crown").
            new = scene.with_state(new.state)
        result.scene = new
        result.changed = new is not scene and new.state != scene.state
        result.changes = notes if result.changed else []
        result.explain = "; ".join(notes) if result.changed else (notes[0] if notes else "nothing to change")
        if result.changed:
            result.not_drawn = [(text, self._nearest_drawable(text, new)) for text in done.not_drawn]
        return result

    # ---- whole-utterance commands, then clause by clause ----
    def _interpret(self, scene: Scene, norm: str) -> _Step:
        if phrase_in(norm, _RESET):
            return _Step(edits.reset(scene), None, ("started over",))
        if phrase_in(norm, _REDO):
            return _Step(edits.redo(scene), None, ("redo",))
        if phrase_in(norm, _UNDO) and len(norm.split()) <= 4:
            return _Step(edits.undo(scene), None, ("undo",))
        correction = corrections.read(norm, scene, self.phrases)
        if correction is not None:
            corrected, notes = corrections.apply(correction, scene, self.catalog)
            return _Step(corrected, None, tuple(notes))
        if phrase_in(norm, _REMOVE_ALL):
            return _Step(edits.clear_props(scene), None, ("removed everything",))
        for phrase in self.phrases.and_phrases:
            norm = norm.replace(phrase, phrase.replace(" and ", " & "))
        notes: list[str] = []
        not_drawn: list[str] = []
        intent: str | None = None
        clauses = [c.strip().replace(" & ", " and ") for c in re.split(r"\b(?:and then|and|then|also|plus)\b|,", norm)]
        for number, clause in enumerate(c for c in clauses if c):
            step = self._clause(scene, clause, intent, first=number == 0)
            scene, intent = step.scene, step.intent
            notes.extend(step.notes)
            not_drawn.extend(step.not_drawn)
        return _Step(scene, None, tuple(notes), tuple(not_drawn))

    def _clause(self, scene: Scene, text: str, intent: str | None, first: bool = True) -> _Step:
        """One clause: what it says, then the first reading that applies. A clause without its own
        verb inherits `intent`, the previous clause's; `first`: no clause was said before it."""
        said = self._parse(text)
        if _NEGATION.search(text) and not phrase_in(text, ("no more",)):
            return self._negated(scene, said)
        look = self._look_command(scene, said)
        if look is not None:
            return look
        verb = said.verb or intent
        said = self._asked_for(scene, said, verb, first)
        notes: tuple[str, ...] = ()
        if not said.props and not said.themes and not said.styles and self.embedder is not None:
            meant = self._meaning(text, verb)
            if meant is not None:
                said = said.with_mention(meant)
                notes = (f"understood '{self._object_phrase(text)}' as {meant.id.replace('_', ' ')}",)
        if verb == "remove":
            return self._remove(scene, said, notes)
        scene, looks = self._set_looks(scene, said)
        notes += looks
        if said.props:
            return self._add_or_change_props(scene, said, verb, notes)
        if (said.colors or said.sizes or said.anchor) and not said.themes and not said.styles \
                and scene.focus is not None:
            if verb in ("change", "add", None) or intent == "change":
                return self._change_focus(scene, said, notes)
        if said.themes or said.styles:
            return self._with_extra(scene, said, verb, notes)
        if phrase_in(text, _PLACE_CUES):
            return self._place(scene, said, notes)
        return self._extra(scene, said, verb, notes)

    # ---- the readings of a clause, each returning what it did ----
    def _parse(self, text: str) -> _Said:
        sizes = tuple(SIZE_WORDS[w] for w in text.split() if w in SIZE_WORDS)
        mentions = self._colour_nouns(text.split(), self.phrases.mentions(text))
        return _Said(text, tuple(mentions), sizes, self._anchor(text), self._verb(text))

    def _colour_nouns(self, words: list[str], mentions: list[Mention]) -> list[Mention]:
        """"a rainbow", "a lime": a colour word after an article, with no thing named after it,
        is the library's thing of that name, not a colour."""
        out = []
        for m in mentions:
            thing = self.phrases.library.get(m.phrase)
            later = any(o.group == "prop" and o.start >= m.end for o in mentions)
            if m.group == "color" and thing and m.start > 0 and words[m.start - 1] in ("a", "an") and not later:
                m = Mention("prop", thing, m.start, m.end, m.phrase)
            out.append(m)
        return out

    def _asked_for(self, scene: Scene, said: _Said, verb: str | None, first: bool) -> _Said:
        """The clause without library objects it names but does not ask for. Their names are
        everyday words, so one counts when the clause adds it (not in a place or look: "take me to
        the beach" has no beach to hold), changes or removes one that is there, or, said first,
        names it with nothing but articles, sizes, colours and a place around it ("a dinosaur on my
        head"; not "I had a sandwich and a banana")."""
        library = [m for m in said.props if m.id in self.catalog.objects]
        if not library:
            return said
        words = said.text.split()
        if said.themes or said.styles or phrase_in(said.text, _PLACE_CUES):
            # In a place or a look only what comes after "with" is a thing ("space with a rocket").
            after = words.index("with") if "with" in words else len(words)
            wanted = [m for m in library if m.start > after]
        elif verb == "add":
            wanted = library
        elif verb in ("change", "remove"):
            wanted = [m for m in library if _find_prop(scene, m.id) is not None]
        elif verb is None and first:
            covered = {i for m in said.mentions for i in range(m.start, m.end)}
            place = {w for phrase in (*_PLACEMENTS, *_ANCHOR_WORDS) for w in phrase.split()}
            rest = [w for i, w in enumerate(words) if i not in covered]
            wanted = library if all(w in _BARE or w in SIZE_WORDS or w in place for w in rest) else []
        else:
            wanted = []
        dropped = [m for m in library if m not in wanted]
        return replace(said, mentions=tuple(m for m in said.mentions if m not in dropped)) if dropped else said

    def _negated(self, scene: Scene, said: _Said) -> _Step:
        """"I don't want the sword any more" about a sword that is there means take it away; any
        other negated request ("don't give me a crown") changes nothing."""
        worn = [m for m in said.mentions if m.group == "prop" and _find_prop(scene, m.id) is not None]
        if worn and phrase_in(said.text, _UNWANTED):
            notes = []
            for m in worn:
                scene = edits.remove_prop(scene, _find_prop(scene, m.id))
                notes.append(f"removed {self.catalog.prop(m.id).name}")
            return _Step(scene, "remove", tuple(notes))
        return _Step(scene, "negated", (f"ignored a negated request: '{said.text}'",))

    def _look_command(self, scene: Scene, said: _Said) -> _Step | None:
        """Commands about the whole look: no background, normal look, stronger or subtler style."""
        text = said.text
        if phrase_in(text, _CLEAR_THEME):
            return _Step(edits.set_theme(scene, None), "theme", ("removed the background",))
        if phrase_in(text, _CLEAR_STYLE):
            return _Step(edits.set_style(scene, None), "style", ("back to the normal look",))
        if phrase_in(text, _STRONGER) and not said.props:
            return _Step(edits.change_style_strength(scene, +0.2), "strength", ("stronger style",))
        if phrase_in(text, _WEAKER) and not said.props:
            return _Step(edits.change_style_strength(scene, -0.2), "strength", ("subtler style",))
        return None

    def _remove(self, scene: Scene, said: _Said, notes: tuple[str, ...]) -> _Step:
        removed = list(notes)
        for m in said.props:
            index = _find_prop(scene, m.id)
            if index is not None:
                scene = edits.remove_prop(scene, index)
                removed.append(f"removed {self.catalog.prop(m.id).name}")
        for m in said.themes:
            if scene.theme == m.id:
                scene = edits.set_theme(scene, None)
                removed.append("removed the background")
        for m in said.styles:
            if scene.style == m.id:
                scene = edits.set_style(scene, None)
                removed.append("back to the normal look")
        if not said.mentions and re.search(r"\b(it|that|this)\b", said.text) and scene.focus is not None:
            kind = scene.props[scene.focus].kind
            scene = edits.remove_prop(scene, scene.focus)
            removed.append(f"removed {self.catalog.prop(kind).name}")
        return _Step(scene, "remove", tuple(removed))

    def _set_looks(self, scene: Scene, said: _Said) -> tuple[Scene, tuple[str, ...]]:
        """One theme and one style at a time: of several named, the most specific ("a Monet
        painting" is impressionist, not any painting)."""
        notes = []
        if said.themes:
            m = self.phrases.most_specific(said.themes)
            scene = edits.set_theme(scene, m.id)
            notes.append(f"theme: {self.catalog.themes[m.id].name}" + _from_name(m))
        if said.styles:
            m = self.phrases.most_specific(said.styles)
            scene = edits.set_style(scene, m.id)
            notes.append(f"style: {self.catalog.styles[m.id].name}" + _from_name(m))
        return scene, tuple(notes)

    def _add_or_change_props(self, scene: Scene, said: _Said, verb: str | None, notes: tuple[str, ...]) -> _Step:
        """Each prop named: changed if asked to change one that is there, else added."""
        done = list(notes)
        scale_by = math.prod(said.sizes) if said.sizes else None
        for m in said.props:
            color = _nearest(said.colors, m, before=True)
            index = _find_prop(scene, m.id)
            if verb == "change" and index is not None:
                scene = edits.change_prop(scene, index, color=color, scale_by=scale_by, anchor=said.anchor)
                done.append(f"changed {self.catalog.prop(m.id).name}")
            else:
                scene = edits.add_prop(scene, self.catalog, m.id, anchor=said.anchor, color=color,
                                       scale=said.sizes[0] if said.sizes else 1.0)
                done.append(f"added {self.catalog.prop(m.id).name}")
        return _Step(scene, verb or "add", tuple(done))

    def _change_focus(self, scene: Scene, said: _Said, notes: tuple[str, ...]) -> _Step:
        """A colour, size or place on the body with no prop named ("make it blue", "bigger", "put it
        in my left hand") changes "it": the focus; "both of them", "them all": every prop."""
        color = said.colors[0].id if said.colors else None
        scale_by = math.prod(said.sizes) if said.sizes else None
        targets = [scene.focus]
        if _ALL_OF_THEM.search(said.text):
            targets = list(range(len(scene.props)))
        for index in targets:
            scene = edits.change_prop(scene, index, color=color, scale_by=scale_by,
                                      anchor=said.anchor if len(targets) == 1 else None)
            notes += (f"changed {self.catalog.prop(scene.props[index].kind).name}",)
        return _Step(scene, "change", notes)

    def _with_extra(self, scene: Scene, said: _Said, verb: str | None, notes: tuple[str, ...]) -> _Step:
        """A theme or style "with" something the catalog cannot draw ("somewhere tropical with palm
        trees"): the something goes to the prompt."""
        match = re.search(r"\bwith (.+)$", said.text)
        if match is None or any(m.start >= len(said.text[:match.start()].split()) for m in said.mentions):
            return _Step(scene, verb, notes)
        thing = match.group(1).strip()
        scene = edits.add_extra(scene, thing)
        return _Step(scene, verb, (*notes, f"added '{thing}' (not in the catalog: it goes to the prompt)"), (thing,))

    def _place(self, scene: Scene, said: _Said, notes: tuple[str, ...]) -> _Step:
        """A place the catalog has no theme for ("take me to ancient rome") goes to the prompt."""
        place = self._object_phrase(said.text)
        if len(place) >= 3 and place not in COMMON_WORDS:
            scene = edits.set_place(scene, place)
            notes += (f"added 'in {place}' (not a theme I can draw: it goes to the prompt)",)
            return _Step(scene, "theme", notes, (place,))
        return _Step(scene, "theme", notes)

    def _extra(self, scene: Scene, said: _Said, verb: str | None, notes: tuple[str, ...]) -> _Step:
        """A thing asked for that the catalog does not have goes to the prompt, not the bin: said
        with a verb ("give me a dragon") or after one ("a sword and a dragon")."""
        if verb == "add" and (said.verb == "add" or re.match(r"(a|an|some) \w", said.text)):
            thing = self._unknown_thing(said.text)
            if thing:
                scene = edits.add_extra(scene, thing)
                notes += (f"added '{thing}' (not in the catalog: it goes to the prompt)",)
                return _Step(scene, verb, notes, (thing,))
        return _Step(scene, verb, notes)

    def _nearest_drawable(self, text: str, scene: Scene) -> str | None:
        """What to offer instead of something it cannot draw, as the page says it ("beach", or
        "fire, star, sun"): the catalog entry whose synonyms or picture share the most words with
        it ("palm trees" → beach, whose picture has them), else the nearest catalog entry by
        meaning; then the library objects nearest by meaning, SUGGESTIONS names in all. What the
        scene already shows is not offered; None when nothing is near."""
        shown = {("theme", scene.theme), ("style", scene.style), *(("prop", p.kind) for p in scene.props)}
        words = {w.rstrip("s") for w in text.split() if w not in _STOP and len(w) >= 3}
        best, best_score = None, 0
        for group, entries in (("prop", self.catalog.props), ("theme", self.catalog.themes),
                               ("style", self.catalog.styles)):
            for entry in entries.values():
                said = {w.rstrip("s") for phrase in (*entry.synonyms, entry.prompt) for w in normalise(phrase).split()}
                if len(words & said) > best_score:
                    best, best_score = (group, entry), len(words & said)
        offered: list[str] = []
        if self.embedder is not None and words:
            query = self.embedder.embed([text])[0]
            if best is None:
                scores = self._meaning_vectors @ query
                index = int(np.argmax(scores))
                if scores[index] >= NEAREST_THRESHOLD:
                    group, entry_id = self._meaning_keys[index]
                    best = (group, getattr(self.catalog, f"{group}s")[entry_id])
            if best is not None and (best[0], best[1].id) not in shown:
                offered.append(best[1].name)
            scores = self._library_scores(text)
            for index in np.argsort(-scores):
                if scores[index] < SUGGEST_THRESHOLD or len(offered) >= SUGGESTIONS:
                    break
                entry = self.catalog.objects[self._library_keys[index][1]]
                if entry.name not in offered and ("prop", entry.id) not in shown:
                    offered.append(entry.name)
        elif best is not None and (best[0], best[1].id) not in shown:
            offered.append(best[1].name)
        return ", ".join(offered) or None

    # ---- pieces ----
    def _verb(self, clause: str) -> str | None:
        if phrase_in(clause, _REMOVE_VERBS) or _REMOVE_AROUND.search(clause):
            return "remove"
        if phrase_in(clause, _CHANGE_VERBS):
            return "change"
        if phrase_in(clause, _ADD_VERBS):
            return "add"
        return None

    def _anchor(self, clause: str) -> str | None:
        for phrase, anchor in sorted(_PLACEMENTS.items(), key=lambda kv: -len(kv[0])):
            if phrase_in(clause, (phrase,)):
                return anchor
        for phrase, anchor in sorted(_ANCHOR_WORDS.items(), key=lambda kv: -len(kv[0])):
            if re.search(rf"\b(on|in|to|around|at|over) (my |the )?{phrase}\b", clause):
                return anchor if anchor in ANCHORS else None
        return None

    def _object_phrase(self, clause: str) -> str:
        """What the clause is about, without the request around it ('put me somewhere in westeros'
        → 'westeros'): the embedding of the bare thing matches the catalog far better."""
        text = clause
        for phrase in sorted(_PLACEMENTS, key=len, reverse=True):
            text = re.sub(rf"\b{phrase}\b", " ", text)
        text = re.sub(r"\b(on|in|to|around|at|over) (my |the )?(" + "|".join(_ANCHOR_WORDS) + r")\b", " ", text)
        for cue in sorted(_ADD_VERBS + _THEME_CUES + _CHANGE_VERBS + _REMOVE_VERBS, key=len, reverse=True):
            text = re.sub(rf"\b{re.escape(cue)}\b", " ", text)
        text = re.sub(r"\b(me|my|i|it|look|like|somewhere|please|now|to|in|on|at|into|go|be|want|style)\b", " ", text)
        return " ".join(text.split())

    def _meaning(self, clause: str, verb: str | None) -> Mention | None:
        phrase = self._object_phrase(clause)
        if len(phrase) < 3 or phrase in COMMON_WORDS:
            return None
        if phrase_in(clause, ("look like", "style", "paint me", "painted", "drawn")):
            groups = ("style",)
        elif phrase_in(clause, _THEME_CUES) and not phrase_in(clause, ("give me", "hand me")):
            groups = ("theme",)
        elif verb == "add":
            groups = ("prop",)
        else:
            return None
        query = self.embedder.embed([phrase])[0]
        scores = self._meaning_vectors @ query
        for index in np.argsort(-scores)[:5]:
            group, entry = self._meaning_keys[index]
            if group in groups and scores[index] >= MEANING_THRESHOLD[group]:
                return Mention(group, entry, 0, len(clause.split()))
        if groups != ("prop",):
            return None
        # No hand-made prop means it: the library object nearest in meaning, if near enough. Not
        # for a word or two of three letters ("to top it" is no circus's big top): whisper's
        # mishearings leave such scraps, and the model finds some thing near any of them.
        said, entry, score = self._library_nearest(phrase)
        if score < LIBRARY_THRESHOLD or len(re.sub(r"^(a|an|the|some) ", "", phrase).replace(" ", "")) < 4:
            return None
        return Mention("prop", entry, 0, len(clause.split()), said)

    def library_match(self, clause: str) -> tuple[str, float]:
        """The library object nearest in meaning to what a (normalised) clause asks for, and the
        cosine: what `_meaning` compares with LIBRARY_THRESHOLD (tools/bench/world_objects_tuning.py)."""
        _, entry, score = self._library_nearest(self._object_phrase(clause))
        return entry, score

    def _library_nearest(self, phrase: str) -> tuple[str, str, float]:
        """(phrase, object id, cosine) of the library phrase nearest to a thing asked for. The
        thing without its article: the library's phrases are bare names, and on the tuning set
        "hummingbird" finds a bird where "a hummingbird" found a ladybird."""
        scores = self._library_scores(phrase)
        index = int(np.argmax(scores))
        said, entry = self._library_keys[index]
        return said, entry, float(scores[index])

    def _library_scores(self, phrase: str) -> np.ndarray:
        """Cosine of the thing (without its article) to every library phrase."""
        return self._library_vectors @ self.embedder.embed([re.sub(r"^(a|an|the|some) ", "", phrase)])[0]

    def _unknown_thing(self, clause: str) -> str | None:
        """The thing asked for, as said after the verb ("give me a dragon" → "a dragon"), or the
        whole clause when it is a bare "a/an/some ..." after an earlier verb."""
        after = [m.group(1) for verb in _ADD_VERBS if (m := re.search(rf"\b{verb}\b(.*)", clause))]
        if not after and re.match(r"(a|an|some) ", clause):
            after = [clause]
        for said in after:
            rest = re.sub(r"^\s*(me|to have|to see|on me)\b", "", said).strip()
            rest = re.sub(r"\b(please|on me|now)\b", "", rest).strip()
            core = _FILLER.sub("", rest)
            for other in _ADD_VERBS:
                core = re.sub(rf"\b{other}\b", " ", core)
            if any(len(w) >= 3 and w not in COMMON_WORDS for w in core.split()):
                # "a dragon" as said; "a" added to a bare singular ("give me dragon"), not to plurals.
                plural = rest.endswith("s") and not rest.endswith("ss")
                return rest if plural or rest.startswith(("a ", "an ", "the ", "some ")) else f"a {rest}"
        return None


def _find_prop(scene: Scene, kind: str) -> int | None:
    for index in range(len(scene.props) - 1, -1, -1):
        if scene.props[index].kind == kind:
            return index
    return None


def _nearest(colors: list[Mention], prop: Mention, before: bool) -> str | None:
    """The colour said right before the prop ("a blue sword"), else anywhere in the clause."""
    before_prop = [c for c in colors if c.end <= prop.start]
    if before_prop:
        return before_prop[-1].id
    return colors[0].id if colors else None


def _from_name(m: Mention) -> str:
    """For the page: which name was read as the entry ("ukiyo-e (from 'hokusai')")."""
    return f" (from '{m.phrase}')" if m.name else ""
