# Where does the NaN come from? gradviz marks the node where it first appears.
x = -1.0
y = sqrt(x)
z = y * 2 + 1
