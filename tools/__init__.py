"""The tools around the mirror: the `mirror` CLI, its commands and benches. They may use every other
part; nothing in the running mirror (mirror/, web/) imports them."""
