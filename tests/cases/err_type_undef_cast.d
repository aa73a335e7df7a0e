BEGIN { x = (struct nosuch)0; }
