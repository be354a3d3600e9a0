"""The benchmarks' one table format."""


def print_table(title: str, rows, baseline: str = "baseline", ours: str = "qpysim") -> None:
    """rows: (what, baseline figure, qpysim figure, ratio, target) tuples."""
    print(f"{title:44} {baseline:>16} {ours:>16} {'ratio':>9}  target")
    for name, nat, emu, ratio, target in rows:
        print(f"{name:44} {nat:>16} {emu:>16} {ratio:>9.2f}  {target}")
