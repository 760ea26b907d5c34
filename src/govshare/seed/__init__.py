"""The synthetic demo city (示范市): departments, systems, staff and population, deterministic given a seed."""
