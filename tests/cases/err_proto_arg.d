BEGIN { exit("str"); }
