# Fan-out: a used three times. Its gradient is the sum of three contributions
# (written on the edges).
a = 1.5
b = a * a
c = a + b
d = c * a
