BEGIN { x = "fmt"; printf(x); }
