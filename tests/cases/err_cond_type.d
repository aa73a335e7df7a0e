BEGIN { x = pid ? "a" : 2; }
