BEGIN { y = 1; x = (y, trace(1)); }
