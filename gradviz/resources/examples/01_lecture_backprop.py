# The lecture's backprop example: f(x, y) = xy + exp(xy)
# x and y are scalar inputs (drag their sliders). PyTorch records x*y twice,
# so x and y each feed two nodes and their gradients are sums of two terms.
x = 2.0
y = 3.0
x * y + exp(x * y)
