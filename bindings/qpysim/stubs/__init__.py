"""Type stubs (.pyi) for the device modules, for editors.

Add this folder to your editor's extra paths (`qpysim stubs` prints it), and
`import usocket` in a device script completes as QuecPython's usocket.
"""
