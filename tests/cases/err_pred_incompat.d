BEGIN /"abc" == 1/ { exit(0); }
