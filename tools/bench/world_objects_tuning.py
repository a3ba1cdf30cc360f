"""The phrases the object library's meaning threshold was set on (world/interpreter.py,
LIBRARY_THRESHOLD), never the held-out set (world_objects_heldout.py).

MEANT: things asked for by a word no object is called (not a name, synonym or plural), with the
objects that would be a fair drawing of them. NOT_THINGS: requests for what is no thing. Each is
said as "give me …", so only the meaning match can draw it. `mirror bench world` prints the sweep.
"""
from __future__ import annotations

MEANT: list[tuple[str, tuple[str, ...]]] = [
    ("a velociraptor", ("t_rex", "sauropod", "lizard", "dragon")),
    ("a stegosaurus", ("sauropod", "t_rex")),
    ("a goldfish", ("fish", "tropical_fish", "blowfish")),
    ("a hummingbird", ("blackbird", "dove", "eagle", "owl", "baby_chick", "parrot", "feather")),
    ("a cappuccino", ("hot_beverage", "teacup_without_handle")),
    ("an espresso", ("hot_beverage", "teacup_without_handle")),
    ("a lemonade", ("tropical_drink", "cup_with_straw", "lemon", "tumbler_glass", "beverage_box")),
    ("an orange juice", ("tropical_drink", "cup_with_straw", "beverage_box", "tangerine", "tumbler_glass")),
    ("a sedan", ("automobile", "sport_utility_vehicle", "taxi")),
    ("a limousine", ("automobile", "sport_utility_vehicle", "taxi")),
    ("a jeep", ("sport_utility_vehicle", "automobile", "pickup_truck")),
    ("a space shuttle", ("rocket", "flying_saucer", "airplane")),
    ("a cello", ("violin",)),
    ("a clarinet", ("flute", "saxophone", "trumpet")),
    ("a tuba", ("trumpet", "postal_horn", "saxophone")),
    ("a beanie", ("billed_cap", "womans_hat", "graduation_cap")),
    ("a hoodie", ("coat", "t_shirt", "running_shirt")),
    ("a sweater", ("coat", "t_shirt", "running_shirt")),
    ("a skirt", ("dress", "womans_clothes")),
    ("flip flops", ("thong_sandal", "womans_sandal")),
    ("a hockey stick", ("ice_hockey", "field_hockey")),
    ("a golf ball", ("flag_in_hole",)),
    ("a daffodil", ("blossom", "hibiscus", "sunflower", "white_flower", "flower")),
    ("an orchid", ("hibiscus", "blossom", "white_flower", "cherry_blossom", "flower")),
    ("a brownie", ("chocolate_bar", "cookie", "shortcake", "cupcake", "birthday_cake")),
    ("a steak dinner", ("cut_of_meat", "meat_on_bone", "fork_and_knife_with_plate")),
    ("a bowl of cereal", ("bowl_with_spoon",)),
    ("a kitten cat toy", ("cat", "teddy_bear", "black_cat")),
    ("a grizzly cub", ("bear", "teddy_bear", "polar_bear")),
    ("a panther", ("leopard", "tiger", "black_cat", "lion")),
    ("a cheetah", ("leopard", "tiger", "lion")),
    ("a reindeer", ("deer", "moose")),
    ("a crow", ("blackbird",)),
    ("a hurricane", ("cyclone", "tornado")),
    ("a spaceship", ("flying_saucer", "rocket")),
    ("a treasure chest", ("money_bag", "coin", "gem_stone", "toolbox", "package")),
    ("a magic lamp", ("diya_lamp", "person_genie", "light_bulb")),
    ("a smartwatch", ("watch",)),
    ("a lantern", ("red_paper_lantern", "diya_lamp", "flashlight", "candle", "jack_o_lantern")),
    ("a snowboard", ("skis", "sled", "skateboard")),
]

NOT_THINGS: list[str] = [
    "a good time", "my freedom", "a miracle", "some respect", "more energy", "the answer", "a second chance",
    "good vibes", "a nice day", "inner peace", "some fun", "love and friendship", "a new life", "success",
    "the truth", "something cool", "a reason", "some attention", "a break", "a hint", "more confidence",
    "a good grade", "some wisdom", "an opportunity",
]


def sweep(interpreter, thresholds=(0.5, 0.55, 0.58, 0.6, 0.62, 0.65, 0.68, 0.7)) -> list[list]:
    """Per threshold: the meant things drawn as a fair object, drawn as another, not drawn, and the
    non-things drawn. Each is read as "give me …"; the score is the best library phrase's cosine."""
    from world.phrases import normalise

    rows = []
    scored_meant = [(interpreter.library_match(normalise(f"give me {t}")), ok) for t, ok in MEANT]
    scored_not = [interpreter.library_match(normalise(f"give me {t}")) for t in NOT_THINGS]
    for threshold in thresholds:
        right = sum(1 for (kind, score), ok in scored_meant if score >= threshold and kind in ok)
        wrong = sum(1 for (kind, score), ok in scored_meant if score >= threshold and kind not in ok)
        drawn = sum(1 for _, score in scored_not if score >= threshold)
        rows.append([threshold, f"{right}/{len(MEANT)}", wrong, len(MEANT) - right - wrong,
                     f"{drawn}/{len(NOT_THINGS)}"])
    return rows
