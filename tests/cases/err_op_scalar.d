BEGIN { x = "s"; x++; }
