"""Danish first and last names with rough frequency weights, for simulated people.

The weights are approximate counts of current bearers in Denmark, in thousands, rounded from memory of
Danmarks Statistik's published name statistics. They only need to give the simulated registers a
realistic look (a few very common surnames, a long tail); nobody should read them as official figures.
Names of other origins that are common in Denmark are in the same lists, weighted the same way, and are
drawn independently of a simulated person's target group.
"""

from __future__ import annotations

FEMALE_FIRST: tuple[tuple[str, float], ...] = (
    ("Anne", 45.0), ("Kirsten", 40.0), ("Mette", 39.0), ("Hanne", 37.0), ("Anna", 36.0),
    ("Helle", 33.0), ("Susanne", 31.0), ("Lene", 30.0), ("Maria", 30.0), ("Marianne", 29.0),
    ("Lone", 26.0), ("Camilla", 25.0), ("Pia", 25.0), ("Louise", 25.0), ("Charlotte", 24.0),
    ("Tina", 23.0), ("Gitte", 22.0), ("Bente", 22.0), ("Karen", 22.0), ("Inge", 21.0),
    ("Jette", 21.0), ("Julie", 20.0), ("Sofie", 20.0), ("Ida", 19.0), ("Emma", 19.0),
    ("Rikke", 18.0), ("Malene", 17.0), ("Christina", 17.0), ("Birgitte", 16.0), ("Line", 16.0),
    ("Signe", 15.0), ("Maja", 15.0), ("Laura", 15.0), ("Sara", 14.0), ("Cecilie", 14.0),
    ("Katrine", 13.0), ("Stine", 13.0), ("Dorte", 13.0), ("Nanna", 12.0), ("Mathilde", 12.0),
    ("Heidi", 11.0), ("Sanne", 10.0), ("Josefine", 10.0), ("Fatima", 4.0), ("Amina", 2.0),
)

MALE_FIRST: tuple[tuple[str, float], ...] = (
    ("Peter", 47.0), ("Michael", 44.0), ("Lars", 43.0), ("Jens", 43.0), ("Thomas", 39.0),
    ("Henrik", 37.0), ("Søren", 36.0), ("Christian", 35.0), ("Martin", 33.0), ("Niels", 32.0),
    ("Jan", 31.0), ("Morten", 29.0), ("Anders", 29.0), ("Rasmus", 26.0), ("Jesper", 26.0),
    ("Mads", 25.0), ("Hans", 25.0), ("Per", 23.0), ("Jørgen", 22.0), ("Mikkel", 22.0),
    ("Kim", 21.0), ("Ole", 21.0), ("Frederik", 20.0), ("Erik", 19.0), ("Kasper", 19.0),
    ("Mathias", 18.0), ("Jacob", 17.0), ("Nikolaj", 16.0), ("Brian", 15.0), ("Daniel", 15.0),
    ("Jonas", 15.0), ("Emil", 14.0), ("Simon", 14.0), ("Andreas", 13.0), ("Torben", 13.0),
    ("Bo", 12.0), ("Allan", 12.0), ("Kenneth", 11.0), ("Steen", 11.0), ("Carsten", 11.0),
    ("Magnus", 10.0), ("Oliver", 10.0), ("Mohammad", 5.0), ("Ali", 4.0), ("Ahmed", 3.0),
)

LAST: tuple[tuple[str, float], ...] = (
    ("Nielsen", 240.0), ("Jensen", 240.0), ("Hansen", 200.0), ("Andersen", 160.0),
    ("Pedersen", 155.0), ("Christensen", 115.0), ("Larsen", 110.0), ("Sørensen", 105.0),
    ("Rasmussen", 90.0), ("Jørgensen", 85.0), ("Petersen", 77.0), ("Madsen", 60.0),
    ("Kristensen", 57.0), ("Olsen", 48.0), ("Thomsen", 38.0), ("Christiansen", 35.0),
    ("Poulsen", 31.0), ("Johansen", 30.0), ("Møller", 29.0), ("Mortensen", 26.0),
    ("Knudsen", 23.0), ("Jakobsen", 22.0), ("Mikkelsen", 19.0), ("Olesen", 19.0),
    ("Frederiksen", 18.0), ("Laursen", 17.0), ("Henriksen", 17.0), ("Lund", 16.0),
    ("Schmidt", 15.0), ("Eriksen", 14.0), ("Holm", 14.0), ("Kristiansen", 13.0),
    ("Clausen", 13.0), ("Simonsen", 12.0), ("Svendsen", 12.0), ("Andreasen", 12.0),
    ("Iversen", 11.0), ("Jeppesen", 10.0), ("Mogensen", 10.0), ("Jespersen", 10.0),
    ("Nissen", 10.0), ("Lauridsen", 9.0), ("Kjær", 9.0), ("Jepsen", 9.0), ("Østergaard", 9.0),
    ("Vestergaard", 8.5), ("Dahl", 8.5), ("Bach", 7.5), ("Ali", 7.0), ("Ahmed", 6.0),
    ("Hussein", 5.0), ("Mohamed", 5.0), ("Winther", 6.0), ("Skov", 6.0), ("Kjeldsen", 6.0),
)
