# Adam written out (as a course derives it) next to torch.optim.Adam, and least squares solved
# in closed form next to gradient descent: the kind of cell a lecture on optimizers runs.
import torch
import torch.nn.functional as F

X = torch.randn(32, 3)
true_w = torch.tensor([2.0, -1.0, 0.5])
y = X @ true_w + 0.1 * torch.randn(32)

w = torch.zeros(3, requires_grad=True)
m = torch.zeros(3)
v = torch.zeros(3)
lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
for t in range(1, 21):
    loss = F.mse_loss(X @ w, y)
    loss.backward()
    with torch.no_grad():
        g = w.grad
        m.mul_(b1).add_(g, alpha=1 - b1)
        v.mul_(b2).addcmul_(g, g, value=1 - b2)
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        w.addcdiv_(m_hat, v_hat.sqrt().add_(eps), value=-lr)
        w.grad.zero_()

w2 = torch.zeros(3, requires_grad=True)
opt = torch.optim.Adam([w2], lr=lr, betas=(b1, b2), eps=eps)
for t in range(20):
    opt.zero_grad()
    F.mse_loss(X @ w2, y).backward()
    opt.step()
print("by hand:", w.detach())
print("torch.optim.Adam:", w2.detach())
print("same:", torch.allclose(w, w2, atol=1e-6))

closed = torch.linalg.solve(X.T @ X, X.T @ y)
lstsq = torch.linalg.lstsq(X, y.unsqueeze(1)).solution.squeeze(1)
print("closed form:", closed)
print("agree:", torch.allclose(closed, lstsq, atol=1e-5))
print("residual norm:", round(torch.linalg.vector_norm(X @ closed - y).item(), 4))
lo, hi = torch.aminmax(closed)
print("range:", round(lo.item(), 4), round(hi.item(), 4))
print("entropy:", round(-torch.xlogy(F.softmax(closed, 0), F.softmax(closed, 0)).sum().item(), 4))
print("logsumexp two ways:", torch.allclose(torch.logaddexp(closed[0], closed[1]), torch.logsumexp(closed[:2], 0)))
print(w.is_contiguous(), X.T.is_contiguous(), X.stride(), X.T.stride())
