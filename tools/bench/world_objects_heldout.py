"""Held-out phrases for the object library (issue 31), for `mirror bench world`'s accuracy figure.

Written on 2026-12-07 before the library's lookup (names, plurals, keywords, synonyms, meaning) was
built or tuned, and committed on its own so that its first run is a blind figure. The tests
(tests/world/test_objects.py) hold other phrases. Ids are the art set's names with "-" as "_"
(Fluent Emoji flat: "t-rex" → t_rex); a thing the mirror already has a hand-made prop for is that
prop ("a bird" is the catalog's parrot, "a rose" its flower).

OBJECTS: (said before, said now, the props the scene must then hold, in order). Each prop is
"[colour ]id|id…[@anchor]": any of the ids; the colour (of whichever id) and the anchor are checked
only when given.
NOT_THINGS: utterances asking for what is no thing: nothing is drawn and the page is told what
cannot be drawn. CHIT_CHAT: things said near the mirror that name an object but ask for nothing:
the scene stays as it was.
"""
from __future__ import annotations

OBJECTS: list[tuple[tuple[str, ...], str, tuple[str, ...]]] = [
    # animals
    ((), "I want a puppy", ("dog|poodle|guide_dog|service_dog",)),
    ((), "can I have a kitten on my shoulder", ("cat|black_cat@beside",)),
    ((), "give me a bunny", ("rabbit",)),
    ((), "put an owl on my head", ("owl@head",)),
    ((), "I'd like a pet hamster", ("hamster",)),
    ((), "give me a giant elephant", ("elephant",)),
    ((), "a horse next to me please", ("horse@next_to",)),
    ((), "give me a unicorn", ("unicorn",)),
    ((), "I want a shark behind me", ("shark@behind",)),
    ((), "give me butterflies all around me", ("butterfly@around",)),
    ((), "put a spider on my shoulder", ("spider@beside",)),
    ((), "give me a snake", ("snake",)),
    ((), "give me a penguin", ("penguin",)),
    ((), "add a monkey", ("monkey",)),
    ((), "I want a bird on my shoulder", ("parrot@beside",)),
    # food and drink
    ((), "I want a slice of pizza", ("pizza",)),
    ((), "give me a burger", ("hamburger",)),
    ((), "can I have a donut", ("doughnut",)),
    ((), "hand me a banana", ("banana",)),
    ((), "give me a birthday cake", ("birthday_cake",)),
    ((), "I'd like a cup of coffee", ("hot_beverage",)),
    ((), "give me some popcorn", ("popcorn",)),
    ((), "I want a watermelon", ("watermelon",)),
    ((), "give me a lollipop", ("lollipop",)),
    ((), "give me a taco", ("taco",)),
    # plants
    ((), "give me a sunflower", ("sunflower",)),
    ((), "give me a cactus", ("cactus",)),
    ((), "put a palm tree behind me", ("palm_tree@behind",)),
    ((), "I want a christmas tree", ("christmas_tree",)),
    ((), "give me a mushroom", ("mushroom|brown_mushroom",)),
    ((), "give me a four leaf clover", ("four_leaf_clover",)),
    # instruments
    ((), "give me a violin", ("violin",)),
    ((), "I want to play the drums", ("drum|long_drum",)),
    ((), "hand me a saxophone", ("saxophone",)),
    ((), "give me a piano", ("musical_keyboard",)),
    ((), "give me a microphone", ("microphone|studio_microphone",)),
    # clothing
    ((), "give me a baseball cap", ("billed_cap",)),
    ((), "put a graduation cap on me", ("graduation_cap",)),
    ((), "give me a dress", ("dress",)),
    ((), "I want some sneakers", ("running_shoe",)),
    ((), "give me a necktie", ("necktie",)),
    ((), "give me a backpack", ("backpack",)),
    ((), "give me a ring", ("ring",)),
    # sports
    ((), "give me a football", ("soccer_ball|american_football",)),
    ((), "give me a basketball", ("basketball",)),
    ((), "give me a tennis racket", ("tennis",)),
    ((), "I want a skateboard", ("skateboard",)),
    ((), "give me boxing gloves", ("boxing_glove",)),
    ((), "give me a gold medal", ("1st_place_medal|sports_medal|military_medal",)),
    ((), "give me a bowling ball", ("bowling",)),
    # vehicles
    ((), "give me a car", ("automobile|racing_car|sport_utility_vehicle",)),
    ((), "put a motorcycle next to me", ("motorcycle@next_to",)),
    ((), "give me a bicycle", ("bicycle",)),
    ((), "give me a rocket", ("rocket",)),
    ((), "give me a helicopter", ("helicopter",)),
    ((), "give me a fire truck", ("fire_engine",)),
    ((), "give me a sailboat", ("sailboat",)),
    ((), "give me an airplane", ("airplane|small_airplane",)),
    # other things
    ((), "give me a teddy bear", ("teddy_bear",)),
    ((), "give me a camera", ("camera|camera_with_flash",)),
    ((), "give me a book", ("closed_book|books|open_book|blue_book|green_book|orange_book|notebook",)),
    ((), "give me a magnifying glass", ("magnifying_glass_tilted_left|magnifying_glass_tilted_right",)),
    ((), "give me a candle", ("candle",)),
    ((), "give me a crystal ball", ("crystal_ball",)),
    ((), "give me a bow and arrow", ("bow_and_arrow",)),
    ((), "give me a present", ("wrapped_gift",)),
    ((), "give me a ghost", ("ghost",)),
    ((), "give me a robot", ("robot",)),
    # placements
    ((), "put a frog on my head", ("frog@head",)),
    ((), "put an apple in my left hand", ("red_apple|green_apple@left_hand",)),
    ((), "give me stars all around me", ("star|glowing_star|shooting_star|sparkles@around",)),
    ((), "put a pumpkin at my feet", ("jack_o_lantern@feet",)),
    ((), "put a mountain behind me", ("mountain|snow_capped_mountain|mount_fuji@behind",)),
    ((), "I want a dog next to me", ("dog|poodle|guide_dog|service_dog@next_to",)),
    # colours
    ((), "give me a purple elephant", ("purple elephant",)),
    ((), "give me a pink car", ("pink automobile|racing_car|sport_utility_vehicle",)),
    ((), "give me a cat and make it blue", ("blue cat|black_cat",)),
    (("give me a balloon",), "make the balloon green", ("green balloon",)),
    (("give me a dinosaur",), "make it red", ("red t_rex|sauropod",)),
    # edits
    (("give me a horse",), "no I meant a zebra", ("zebra",)),
    (("give me a pizza", "give me a banana"), "remove the pizza", ("banana",)),
    (("give me a rocket",), "undo", ()),
    (("give me an octopus",), "get rid of the octopus", ()),
    # several at once, and the hand-made props first
    ((), "give me a cat, a dog and a rabbit", ("cat|black_cat", "dog|poodle|guide_dog|service_dog", "rabbit")),
    ((), "give me a hot dog and a lemon", ("hot_dog", "lemon")),
    ((), "give me a shiny sword", ("sword",)),
    ((), "give me a wizard hat and a frog", ("wizard_hat", "frog")),
]

NOT_THINGS: list[str] = [
    "give me happiness",
    "I want world peace",
    "give me courage",
    "give me a compliment",
    "I want a better job",
    "give me some patience",
]

CHIT_CHAT: list[str] = [
    "I had a sandwich for lunch",
    "my dog is at home",
    "the cat is sleeping",
    "I like pizza",
]
