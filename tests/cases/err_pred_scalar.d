BEGIN /"abc" == 1/ { }
