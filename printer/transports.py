"""How bytes reach a printer: one small class per URI kind over python-escpos's backends.

Each transport opens its backend lazily (and again after a failure, so an unplugged and
replugged printer comes back), writes with a bounded timeout, asks one DLE EOT question
at a time, and turns the libraries' exceptions into PrinterErrors."""

from __future__ import annotations

import copy
import errno
import re
import socket
import termios
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import serial
from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Dummy, File, Network, Serial, Usb
from PIL import Image

from .errors import PrinterBusy, PrinterError, PrinterNotFound, PrinterNotTakingData, PrinterTimeout
from .simulator import status_reply
from .status import STATUS_REQUESTS
from .uri import PrinterConfig

try:  # pyusb is only needed for usb:// printers
    import usb.core
except ImportError:  # pragma: no cover
    usb = None


class ConnectionLost(ConnectionError):
    """The far end closed a connection that was open (a network printer restarted)."""


# errno values that mean an open device or connection went away under us.
LOST_ERRNOS = {errno.EPIPE, errno.ECONNRESET, errno.ECONNABORTED, errno.EIO, errno.ENODEV, errno.ENXIO,
               errno.EBADF, errno.ESHUTDOWN, errno.ENOTCONN}
# pyserial wraps OS errors in SerialException text only.
LOST_WORDS = ("device disconnected", "input/output error", "[errno 5]", "[errno 19]", "[errno 6]",
              "[errno 9]", "no such device", "bad file descriptor")


@dataclass
class Job:
    """One slip, ready to go: its name (the ticket number), its bytes and its picture."""

    name: str
    data: bytes
    paper: Callable[[], Image.Image]


def make_backend_dummy(config: PrinterConfig) -> Dummy:
    """A python-escpos Dummy with the config's profile, its paper width filled in so that
    image commands can check and centre against it."""
    dummy = Dummy(profile=config.profile)
    profile_data = copy.deepcopy(dummy.profile.profile_data)
    profile_data["media"]["width"]["pixels"] = config.width
    dummy.profile.profile_data = profile_data  # on the instance: profiles are shared classes
    return dummy


class Transport:
    """Base: the backend's life cycle and the error translation."""

    reads_status = True

    def __init__(self, config: PrinterConfig):
        self.config = config
        self.device_name = config.uri
        self._backend: Escpos | None = None

    # -- life cycle
    def make_backend(self) -> Escpos:
        raise NotImplementedError

    def backend(self) -> Escpos:
        if self._backend is None:
            backend = self.make_backend()
            try:
                backend.open()
                if backend.device is None:
                    raise PrinterNotFound(self.device_name)
                self.after_open(backend)
            except BaseException:
                self._forget(backend)
                raise
            self._backend = backend
        return self._backend

    def after_open(self, backend: Escpos) -> None:
        """Settings python-escpos has no argument for."""

    @property
    def is_open(self) -> bool:
        return self._backend is not None

    def reset(self, discard: bool = False) -> None:
        """Drop the connection; the next call opens it again. With `discard`, bytes not yet
        sent are thrown away first, so a slip given up is not printed later as a double."""
        if self._backend is not None:
            backend, self._backend = self._backend, None
            if discard:
                self.discard_pending(backend)
            self._forget(backend)

    def discard_pending(self, backend: Escpos) -> None:
        """Drop bytes still waiting in this computer for the printer, where the OS allows it."""

    def _forget(self, backend: Escpos) -> None:
        try:
            backend.close()
        except Exception:
            pass
        backend._device = False

    def close(self) -> None:
        self.reset()

    def abort(self) -> None:
        """Called from another thread when a job overruns: unblock the I/O if possible."""

    # -- data
    def write(self, data: bytes) -> None:
        self.backend()._raw(data)

    def deliver(self, job: Job) -> None:
        """Send a slip; a write that runs out of time means the printer is not taking data."""
        try:
            self.write(job.data)
        except PrinterError:
            raise
        except Exception as error:
            if self.is_write_timeout(error):
                raise PrinterNotTakingData(self.device_name, f"{type(error).__name__}: {error}") from error
            raise

    def is_write_timeout(self, error: BaseException) -> bool:
        if isinstance(error, (serial.SerialTimeoutException, socket.timeout, TimeoutError)):
            return True
        if usb is not None and isinstance(error, usb.core.USBTimeoutError):
            return True
        return getattr(error, "errno", None) == errno.ETIMEDOUT

    def is_lost(self, error: BaseException) -> bool:
        """Whether an error on an open device means it went away (unplugged, restarted,
        switched off): worth one reconnection before the slip is declared failed."""
        if isinstance(error, (ConnectionLost, BrokenPipeError, ConnectionResetError, ConnectionAbortedError)):
            return True
        if isinstance(error, termios.error) and error.args:
            return error.args[0] in LOST_ERRNOS
        if getattr(error, "errno", None) in LOST_ERRNOS:
            return True
        if usb is not None and isinstance(error, usb.core.USBError) and not isinstance(error, usb.core.USBTimeoutError):
            return True  # pyusb: no such device, pipe error, I/O error once the device is gone
        if isinstance(error, serial.SerialException) and not isinstance(error, serial.SerialTimeoutException):
            text = str(error).lower()
            return any(words in text for words in LOST_WORDS)
        return False

    def wait_sent(self, deadline: float) -> None:
        """Return once the bytes have left this computer (or at the deadline)."""

    def transfer_seconds(self, size: int) -> float:
        """How long `size` bytes take on the wire at best."""
        return 0.0

    def query(self, request: bytes, wait_s: float) -> bytes | None:
        """Send one DLE EOT request and return the reply within `wait_s`, None when there is none."""
        return None

    @property
    def output(self) -> bytes:
        return b""

    # -- errors
    def translate(self, error: BaseException) -> PrinterError:
        """The PrinterError for a library's exception."""
        if isinstance(error, PrinterError):
            return error
        detail = f"{type(error).__name__}: {error}".strip()
        text = str(error).lower()
        if usb is not None and isinstance(error, usb.core.NoBackendError):
            return PrinterNotFound(self.device_name, "libusb is not installed (Debian: libusb-1.0-0)")
        if isinstance(error, DeviceNotFoundError):
            if "busy" in text or "errno 16" in text or "lock" in text:
                return PrinterBusy(self.device_name, detail)
            if "access denied" in text or "permission denied" in text:
                detail += " — no permission: install printer/99-govhall-printer.rules (docs/printers.md)"
            return PrinterNotFound(self.device_name, detail)
        if isinstance(error, (serial.SerialTimeoutException, socket.timeout, TimeoutError)):
            return PrinterTimeout(self.device_name, detail)
        if usb is not None and isinstance(error, usb.core.USBTimeoutError):
            return PrinterTimeout(self.device_name, detail)
        number = getattr(error, "errno", None) or getattr(error, "backend_error_code", None)
        if isinstance(error, termios.error) and error.args:
            number = error.args[0]  # termios errors carry (errno, text) but are no OSError
            if number in (errno.EIO, errno.ENODEV, errno.ENXIO, errno.EBADF):
                return PrinterNotFound(self.device_name, detail)
        if number == errno.EBUSY or "busy" in text or "exclusively lock" in text:
            return PrinterBusy(self.device_name, detail)
        if number == errno.ETIMEDOUT:
            return PrinterTimeout(self.device_name, detail)
        if isinstance(error, (OSError, serial.SerialException)) or (
                usb is not None and isinstance(error, usb.core.USBError)):
            # unplugged, refused, reset, no such device, I/O error
            return PrinterNotFound(self.device_name, detail)
        return PrinterError(self.device_name, detail)


class UsbTransport(Transport):
    def make_backend(self) -> Escpos:
        timeout_ms = int(self.config.timeout_s * 1000)  # python-escpos's default of 0 waits forever
        return Usb(self.config.vendor_id, self.config.product_id, timeout=timeout_ms,
                   in_ep=self.config.in_ep, out_ep=self.config.out_ep, profile=self.config.profile)

    # Bytes drained at most before a question: a printer answering every earlier question late.
    LATE_REPLY_LIMIT = 64

    def query(self, request: bytes, wait_s: float) -> bytes | None:
        backend = self.backend()
        self._drop_late_replies(backend)
        backend._raw(request)
        try:
            reply = backend.device.read(self.config.in_ep, 16, max(1, int(wait_s * 1000)))
        except usb.core.USBTimeoutError:
            return None
        return bytes(reply) or None

    def _drop_late_replies(self, backend: Escpos) -> None:
        """A late reply to an earlier question is not this answer (as serial and TCP do)."""
        dropped = 0
        while dropped < self.LATE_REPLY_LIMIT:
            try:
                late = backend.device.read(self.config.in_ep, 16, 1)  # 1 ms: only what is already there
            except usb.core.USBTimeoutError:
                return
            if not late:
                return
            dropped += len(late)


class SerialTransport(Transport):
    def make_backend(self) -> Escpos:
        # The read timeout is the wait for a status reply; RTS/CTS is switched on after opening.
        return Serial(self.config.target, baudrate=self.config.baudrate, timeout=self.config.status_timeout_s,
                      xonxoff=self.config.flow == "xonxoff", dsrdtr=self.config.flow == "dsrdtr",
                      profile=self.config.profile)

    # The kernel holds written bytes (a UART a few KB, a pseudo-terminal about 20 KB) and
    # wakes a blocked writer only once most of them are out: a write may wait that long.
    KERNEL_BUFFER_BYTES = 32 * 1024

    def after_open(self, backend: Escpos) -> None:
        port: serial.Serial = backend.device
        port.write_timeout = self.config.timeout_s + self.transfer_seconds(self.KERNEL_BUFFER_BYTES)
        port.rtscts = self.config.flow == "rtscts"
        port.exclusive = True  # a second program on the same port gets PrinterBusy

    def transfer_seconds(self, size: int) -> float:
        return size * 10 / self.config.baudrate  # start + 8 data + stop bits

    def write(self, data: bytes) -> None:
        # Chunks that fit well inside the write timeout, so a slow line is not a timeout.
        port = self.backend().device
        chunk = max(64, int(self.config.baudrate / 10 * self.config.timeout_s / 2))
        for start in range(0, len(data), chunk):
            port.write(data[start:start + chunk])

    def wait_sent(self, deadline: float) -> None:
        """Wait until the kernel has sent the bytes; bytes that stop moving for longer than
        the write timeout mean the printer stopped taking data (CTS low, XOFF, a jam)."""
        port = self.backend().device
        waiting, moved_at = port.out_waiting, time.monotonic()
        while waiting and time.monotonic() < deadline:
            time.sleep(0.01)
            now_waiting = port.out_waiting
            if now_waiting < waiting:
                waiting, moved_at = now_waiting, time.monotonic()
            elif time.monotonic() - moved_at > self.config.timeout_s:
                raise PrinterNotTakingData(self.device_name, f"{waiting} bytes not sent for {self.config.timeout_s:.1f} s")

    def discard_pending(self, backend: Escpos) -> None:
        try:
            backend.device.reset_output_buffer()  # tcflush: also keeps close() from waiting on them
        except Exception:
            pass

    def query(self, request: bytes, wait_s: float) -> bytes | None:
        port = self.backend().device
        port.reset_input_buffer()  # a late reply to an earlier question is not this answer
        port.write(request)
        port.timeout = wait_s
        return port.read(1) or None

    def abort(self) -> None:
        backend = self._backend
        if backend is not None and backend.device is not None:
            try:
                backend.device.cancel_write()
            except Exception:
                pass


class NetworkTransport(Transport):
    def make_backend(self) -> Escpos:
        return Network(self.config.target, port=self.config.port, timeout=self.config.timeout_s,
                       profile=self.config.profile)

    def query(self, request: bytes, wait_s: float) -> bytes | None:
        sock: socket.socket = self.backend().device
        sock.setblocking(False)
        try:
            while True:  # drop late replies to earlier questions
                if not sock.recv(64):
                    # An empty read is the far end's close, not silence: the printer restarted.
                    raise ConnectionLost("the printer closed the connection")
        except (BlockingIOError, InterruptedError):
            pass
        finally:
            sock.setblocking(True)
        sock.sendall(request)
        sock.settimeout(wait_s)
        try:
            reply = sock.recv(16)
        except socket.timeout:
            return None
        finally:
            sock.settimeout(self.config.timeout_s)
        if not reply:
            raise ConnectionLost("the printer closed the connection")
        return reply

    def abort(self) -> None:
        backend = self._backend
        if backend is not None and backend.device is not None:
            try:
                backend.device.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class FileTransport(Transport):
    """A device file such as /dev/usb/lp0: write only, so the status is always unknown."""

    reads_status = False

    def make_backend(self) -> Escpos:
        return File(self.config.target, profile=self.config.profile)


class MemoryTransport(Transport):
    """dummy: keeps the bytes in memory and acts out `status=` (ready unless told)."""

    def make_backend(self) -> Escpos:
        return make_backend_dummy(self.config)

    def backend(self) -> Escpos:
        if self._backend is None:
            self._backend = self.make_backend()  # nothing to open
        return self._backend

    def query(self, request: bytes, wait_s: float) -> bytes | None:
        number = next((n for n, known in STATUS_REQUESTS.items() if known == request), None)
        return status_reply(self.config.simulated_status, number) if number else None

    @property
    def output(self) -> bytes:
        return self.backend().output


def safe_file_name(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "slip"


class PreviewTransport(MemoryTransport):
    """preview://DIR: also writes DIR/<name>.bin (the bytes) and DIR/<name>.png (the paper)."""

    def deliver(self, job: Job) -> None:
        folder = Path(self.config.target)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            stem = folder / safe_file_name(job.name)
            stem.with_suffix(".bin").write_bytes(job.data)
            job.paper().save(stem.with_suffix(".png"))
        except OSError as error:
            raise PrinterNotFound(self.device_name, f"cannot write to {folder}: {error}") from error
        super().deliver(job)


TRANSPORTS = {
    "usb": UsbTransport,
    "serial": SerialTransport,
    "tcp": NetworkTransport,
    "file": FileTransport,
    "dummy": MemoryTransport,
    "preview": PreviewTransport,
}


def make_transport(config: PrinterConfig) -> Transport:
    return TRANSPORTS[config.kind](config)
