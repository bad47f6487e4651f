# Backpropagation through time, with a one-number hidden state:
#     h_t = tanh(w · h_(t-1) + u · x_t)
# The same w and u are used at every step, so their gradients are sums of
# one contribution per step (on the edges). Follow ∇ back from h4 to h1: each
# step multiplies it by w · tanh'(…). Drag w toward 0 and the early steps'
# gradients vanish; drag it up to 3 and tanh saturates (tanh' ≈ 0): they
# vanish too. This is why plain RNNs forget, and why LSTMs were invented.
w = 0.6  # the recurrent weight (a scalar input: drag its slider)
u = 1.0  # the input weight

h1 = tanh(u * 1.0)
h2 = tanh(w * h1 + u * -0.5)
h3 = tanh(w * h2 + u * 0.8)
h4 = tanh(w * h3 + u * 0.3)
loss = (h4 - 1.0) ** 2
