"""The console's controller: the actions keys, the palette and screens ask for, one module a family.

See controller.py, which mixes them into CutoverApp."""
