"""MicroPython's source rules for device code: the script and its /usr modules.

qpysim's own modules are plain CPython; what a device script is compiled with
follows MicroPython (QuecPython/micropython @93ac4925) where device code relies
on a difference:

- Indentation (py/lexer.c): a tab advances to the next multiple of 8 columns,
  and tabs and spaces mix without a TabError (QuecPython's own examples do).
- `bytes % args` (py/objstr.c:1469-1660, str_modulo_format): %s and %r take
  any object; a str goes in as its UTF-8, bytes as they are for %s (l.1631-1635)
  and anything else as it prints. CPython takes only bytes-like operands.
- `bytes.format(...)` (py/objstr.c:2109: bytes share str's method table):
  formats as str.format does and returns bytes. CPython's bytes has no format.

The two operations are rewritten in the compiled tree to calls of helpers in
the device's builtins (`__mp_mod__`, `__mp_format__`) that act only when the
left operand is bytes: `x % y` with a str or number literal on the left and
`"...".format()` on a str literal are left alone. `b %= x` is not rewritten.
"""

from __future__ import annotations

import io


def micropython_source(text: str) -> str:
    """Expand tabs in indentation as MicroPython's lexer does.

    A tab advances to the next multiple of 8 columns, and mixing tabs and spaces is
    not an error. Lines inside multi-line strings are left exactly as they are.
    """
    if "\t" not in text:
        return text
    import tokenize

    inside_string: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.end[0] > tok.start[0]:
                inside_string.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        pass  # compile() will report the real problem
    out = []
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        if number not in inside_string and "\t" in line:
            body = line.lstrip(" \t")
            column = 0
            for ch in line[: len(line) - len(body)]:
                column = (column // 8 + 1) * 8 if ch == "\t" else column + 1
            line = " " * column + body
        out.append(line)
    return "".join(out)


_transformer = None


def _bytes_operations():
    """A transformer of a parsed tree: `a % b` -> `__mp_mod__(a, b)`,
    `a.format(...)` -> `__mp_format__(a)(...)`. Built on first use, so a
    script with neither operation does not load `ast`."""
    global _transformer
    if _transformer is None:
        import ast

        def literal(node, *types: type) -> bool:
            return isinstance(node, ast.Constant) and isinstance(node.value, types)

        class BytesOperations(ast.NodeTransformer):
            def visit_BinOp(self, node):
                self.generic_visit(node)
                if not isinstance(node.op, ast.Mod) or literal(node.left, str, int, float):
                    return node
                call = ast.Call(func=ast.Name("__mp_mod__", ast.Load()),
                                args=[node.left, node.right], keywords=[])
                return ast.copy_location(call, node)

            def visit_Call(self, node):
                self.generic_visit(node)
                f = node.func
                if isinstance(f, ast.Attribute) and f.attr == "format" and \
                        not literal(f.value, str):
                    node.func = ast.copy_location(
                        ast.Call(func=ast.Name("__mp_format__", ast.Load()), args=[f.value],
                                 keywords=[]), f)
                return node

        _transformer = BytesOperations
    return _transformer()


def read_source(path, shown: str) -> str:
    """A device source file's text. The module reads its files as UTF-8; a file
    saved in another encoding (GBK from a Chinese Windows editor) is a
    SyntaxError at the first byte that is not UTF-8, named by file and line."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        text = data.splitlines()[line - 1].decode("utf-8", "replace") if data else ""
        err = SyntaxError(f"not UTF-8: byte 0x{data[e.start]:02x} at column {column} "
                          "(the module reads source files as UTF-8; save the file as UTF-8)",
                          (shown, line, column, text))
        raise err from None


def compile_device(source: str, filename: str):
    """Compile device code with MicroPython's source rules (see the module)."""
    source = micropython_source(source)
    if "%" not in source and "format" not in source:
        return compile(source, filename, "exec")  # nothing to rewrite
    import ast

    tree = ast.parse(source, filename)
    tree = ast.fix_missing_locations(_bytes_operations().visit(tree))
    return compile(tree, filename, "exec")


class _Raw:
    """A bytes operand of %s: inserted undecorated (objstr.c:1631-1635)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data

    def __str__(self) -> str:
        return self.data.decode("utf-8", "surrogateescape")

    def __repr__(self) -> str:
        return repr(self.data)


def _raw(value):
    return _Raw(value) if type(value) is bytes else value


def mp_mod(left, right):
    """`left % right` in device code."""
    if type(left) is not bytes:
        return left % right
    if type(right) is tuple:
        right = tuple(_raw(v) for v in right)
    elif isinstance(right, dict):
        right = {k: _raw(v) for k, v in right.items()}
    else:
        right = _raw(right)
    return (left.decode("utf-8", "surrogateescape") % right).encode("utf-8", "surrogateescape")


def mp_format(obj):
    """`obj.format` in device code."""
    if type(obj) is not bytes:
        return obj.format

    def format_bytes(*args, **kwargs):
        text = obj.decode("utf-8", "surrogateescape").format(*args, **kwargs)
        return text.encode("utf-8", "surrogateescape")

    return format_bytes


BUILTINS = {"__mp_mod__": mp_mod, "__mp_format__": mp_format}
