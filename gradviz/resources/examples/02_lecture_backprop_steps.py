# The lecture's step-by-step form: z1 = xy, z2 = exp(z1), z3 = z1 + z2.
# z1 has two consumers, so df/dz1 = df/dz3 * dz3/dz1 + df/dz2 * dz2/dz1.
x = 2.0
y = 3.0
z1 = x * y
z2 = exp(z1)
z3 = z1 + z2
