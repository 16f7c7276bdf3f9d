"""Danish first and last names with rough frequency weights, for simulated people.

The weights are approximate counts of current bearers in Denmark, in thousands, rounded from memory of
Danmarks Statistik's published name statistics. They only need to give the simulated registers a
realistic look (a few very common surnames, a long tail); nobody should read them as official figures.
Names of other origins that are common in Denmark are in the same lists, weighted the same way, and are
drawn independently of a simulated person's target group.
"""

from __future__ import annotations

from typing import Final


def _table(text: str) -> tuple[tuple[str, float], ...]:
    """Parse "Name weight, Name weight, ..." (commas and line breaks separate entries)."""
    entries = (entry.split() for entry in text.replace("\n", ",").split(",") if entry.strip())
    return tuple((" ".join(parts[:-1]), float(parts[-1])) for parts in entries)


FEMALE_FIRST: Final = _table(
    """
    Anne 45, Kirsten 40, Mette 39, Hanne 37, Anna 36, Helle 33, Susanne 31, Lene 30, Maria 30,
    Marianne 29, Lone 26, Camilla 25, Pia 25, Louise 25, Charlotte 24, Tina 23, Gitte 22, Bente 22,
    Karen 22, Inge 21, Jette 21, Julie 20, Sofie 20, Ida 19, Emma 19, Rikke 18, Malene 17,
    Christina 17, Birgitte 16, Line 16, Signe 15, Maja 15, Laura 15, Sara 14, Cecilie 14,
    Katrine 13, Stine 13, Dorte 13, Nanna 12, Mathilde 12, Heidi 11, Sanne 10, Josefine 10,
    Fatima 4, Amina 2
    """
)

MALE_FIRST: Final = _table(
    """
    Peter 47, Michael 44, Lars 43, Jens 43, Thomas 39, Henrik 37, Søren 36, Christian 35,
    Martin 33, Niels 32, Jan 31, Morten 29, Anders 29, Rasmus 26, Jesper 26, Mads 25, Hans 25,
    Per 23, Jørgen 22, Mikkel 22, Kim 21, Ole 21, Frederik 20, Erik 19, Kasper 19, Mathias 18,
    Jacob 17, Nikolaj 16, Brian 15, Daniel 15, Jonas 15, Emil 14, Simon 14, Andreas 13, Torben 13,
    Bo 12, Allan 12, Kenneth 11, Steen 11, Carsten 11, Magnus 10, Oliver 10, Mohammad 5, Ali 4,
    Ahmed 3
    """
)

LAST: Final = _table(
    """
    Nielsen 240, Jensen 240, Hansen 200, Andersen 160, Pedersen 155, Christensen 115, Larsen 110,
    Sørensen 105, Rasmussen 90, Jørgensen 85, Petersen 77, Madsen 60, Kristensen 57, Olsen 48,
    Thomsen 38, Christiansen 35, Poulsen 31, Johansen 30, Møller 29, Mortensen 26, Knudsen 23,
    Jakobsen 22, Mikkelsen 19, Olesen 19, Frederiksen 18, Laursen 17, Henriksen 17, Lund 16,
    Schmidt 15, Eriksen 14, Holm 14, Kristiansen 13, Clausen 13, Simonsen 12, Svendsen 12,
    Andreasen 12, Iversen 11, Jeppesen 10, Mogensen 10, Jespersen 10, Nissen 10, Lauridsen 9,
    Kjær 9, Jepsen 9, Østergaard 9, Vestergaard 8.5, Dahl 8.5, Bach 7.5, Ali 7, Ahmed 6, Hussein 5,
    Mohamed 5, Winther 6, Skov 6, Kjeldsen 6
    """
)
