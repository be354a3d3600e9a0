"""ssl: on QuecPython the weak link to ussl; on MicroPython ports micropython-lib's ssl."""
from ussl import *  # noqa: F401,F403
from ussl import (CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED, MBEDTLS_VERSION, PROTOCOL_TLS_CLIENT,
                  PROTOCOL_TLS_SERVER, SSLContext, wrap_socket)
