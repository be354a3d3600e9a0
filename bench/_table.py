"""The benchmarks' one table format."""


def print_table(title: str, rows, baseline: str = "baseline", ours: str = "qpysim") -> None:
    """rows: (what, baseline figure, qpysim figure, ratio, target) tuples."""
    print(f"{title:44} {baseline:>16} {ours:>16} {'ratio':>9}  target")
    for name, nat, emu, ratio, target in rows:
        figure = f"{ratio:.3g}" if ratio >= 1e5 else f"{ratio:.2f}"
        print(f"{name:44} {nat:>16} {emu:>16} {figure:>9}  {target}")
