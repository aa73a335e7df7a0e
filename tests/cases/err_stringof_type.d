BEGIN { x = stringof(*curthread); }
