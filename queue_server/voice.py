"""Spoken announcements: a voice pack of clips, and the WAV of one call assembled from it.

A voice pack is a folder of WAV clips named by what they say (`请.wav`, `A.wav`, `三.wav`,
`号窗口.wav`, `chime.wav`) and a `pack.toml` giving the audio format every clip shares.
The default pack is generated offline with espeak-ng (Mandarin read from pinyin with tone
numbers; the plain `cmn` voice reads many hanzi as English words) and sox; a hall can put a
recorded human pack in its place (`govhall voice build --from DIR` converts one). Assembling
an announcement only concatenates frames with Python's `wave` module: no processes, no network.
"""

from __future__ import annotations

import io
import logging
import math
import re
import shutil
import struct
import subprocess
import tempfile
import threading
import tomllib
import wave
from dataclasses import dataclass
from pathlib import Path

from .errors import NotFound, QueueError

log = logging.getLogger(__name__)

PACK_FILE = "pack.toml"
CHIME = "chime"
SAMPLE_RATE = 22050  # espeak-ng's own rate: no resampling of the speech
ESPEAK_VOICE = "cmn-latn-pinyin"
ESPEAK_SPEED = 150  # words per minute; a little slower than espeak's default, for a big hall

# Gaps, in milliseconds, that make an assembled call sound like one sentence.
GAP_AFTER_CHIME_MS = 250
GAP_BETWEEN_CLIPS_MS = 40
GAP_COMMA_MS = 250
GAP_BETWEEN_REPEATS_MS = 800

DIGITS = "零一二三四五六七八九"

# What the default pack says, as pinyin with tone numbers for espeak-ng's pinyin voice.
# Letters are given as themselves: that voice names them the way a Chinese hall does (A → ēi).
WORDS = {
    "请": "qing3", "号": "hao4", "到": "dao4", "号窗口": "hao4 chuang1 kou3", "窗口": "chuang1 kou3",
    "办理": "ban4 li3", "暂停服务": "zan4 ting2 fu2 wu4", "恢复服务": "hui1 fu4 fu2 wu4",
    "重呼": "chong2 hu1", "请您": "qing3 nin2", "前往": "qian2 wang3",
    "零": "ling2", "一": "yi1", "二": "er4", "三": "san1", "四": "si4", "五": "wu3", "六": "liu4",
    "七": "qi1", "八": "ba1", "九": "jiu3", "十": "shi2", "百": "bai3",
}
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

PAUSES = {"，": GAP_COMMA_MS, ",": GAP_COMMA_MS, "、": GAP_COMMA_MS, "。": GAP_COMMA_MS, "；": GAP_COMMA_MS,
          " ": GAP_BETWEEN_CLIPS_MS}

# Which event is spoken with which template of config["voice"].
TEMPLATE_OF_EVENT = {"ticket_called": "call", "ticket_recalled": "recall", "window_paused": "pause"}
ANNOUNCED_EVENTS = tuple(TEMPLATE_OF_EVENT)


class VoicePackMissing(QueueError):
    code = "voice_pack_missing"
    status = 503


class NotAnnounced(NotFound):
    code = "not_announced"


# --- reading numbers --------------------------------------------------------------

def say_cardinal(n: int) -> list[str]:
    """A window number as it is spoken: 3 → 三, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五."""
    if n < 0 or n > 999:
        return [DIGITS[int(d)] for d in str(abs(n))]
    if n < 10:
        return [DIGITS[n]]
    if n < 20:
        return ["十"] + ([DIGITS[n % 10]] if n % 10 else [])
    if n < 100:
        return [DIGITS[n // 10], "十"] + ([DIGITS[n % 10]] if n % 10 else [])
    rest = n % 100
    words = [DIGITS[n // 100], "百"]
    if rest == 0:
        return words
    if rest < 10:
        return words + ["零", DIGITS[rest]]
    return words + [DIGITS[rest // 10], "十"] + ([DIGITS[rest % 10]] if rest % 10 else [])


def say_ticket_number(number: str) -> list[str]:
    """A ticket number letter by letter and digit by digit: A012 → A 零 一 二."""
    return [DIGITS[int(c)] if c.isdigit() else c.upper() for c in str(number) if c.isalnum()]


# --- which clips an announcement is made of ------------------------------------------

def _split_text(text: str, available: set[str]) -> tuple[list[str], list[str]]:
    """Split template text into the longest clips the pack has (号窗口 before 号); punctuation
    becomes a pause. Returns the clips and the characters the pack cannot say."""
    clips, missing, i = [], [], 0
    longest = max((len(name) for name in available), default=1)
    while i < len(text):
        char = text[i]
        if char in PAUSES:
            clips.append(f"_pause:{PAUSES[char]}")
            i += 1
            continue
        for size in range(min(longest, len(text) - i), 0, -1):
            if text[i:i + size] in available:
                clips.append(text[i:i + size])
                i += size
                break
        else:
            missing.append(char)
            i += 1
    return clips, missing


def _text_clips(text: str, available: set[str]) -> list[str]:
    clips, missing = _split_text(text, available)
    if missing:
        log.warning("voice pack has no clip for %s", "".join(missing))
    return clips


_PLACEHOLDER = re.compile(r"\{(number|window)\}")


def announcement_clips(event: dict, voice_config: dict, available: set[str]) -> list[str]:
    """The clip names of one announcement, chime first, the sentence `repeat` times."""
    template_key = TEMPLATE_OF_EVENT.get(event["type"])
    if template_key is None:
        raise NotAnnounced(f"事件 {event['id']}（{event['type']}）没有语音播报")
    data = event["data"]
    template = voice_config.get(template_key) or ""
    sentence: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        sentence += _text_clips(template[position:match.start()], available)
        if match.group(1) == "number":
            sentence += [c for c in say_ticket_number(data.get("number") or "") if c in available]
        else:
            window = data.get("window")
            sentence += say_cardinal(int(window)) if window is not None else []
        position = match.end()
    sentence += _text_clips(template[position:], available)
    repeat = max(1, int(voice_config.get("repeat", 2)))
    clips = [CHIME, f"_pause:{GAP_AFTER_CHIME_MS}"] if CHIME in available else []
    for turn in range(repeat):
        if turn:
            clips.append(f"_pause:{GAP_BETWEEN_REPEATS_MS}")
        clips += sentence
    return clips


# --- the pack on disk ---------------------------------------------------------------

@dataclass(frozen=True)
class VoicePack:
    folder: Path
    channels: int
    sample_width: int
    rate: int
    clips: dict  # name → raw frames

    def silence(self, milliseconds: int) -> bytes:
        return b"\x00" * (self.rate * milliseconds // 1000) * self.channels * self.sample_width


_pack_cache: dict[str, tuple[tuple, VoicePack]] = {}
_pack_lock = threading.Lock()


def _pack_signature(folder: Path) -> tuple:
    """Changes whenever a clip is added, removed or replaced (a hall dropping in a new pack)."""
    return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                        for p in folder.glob("*") if p.suffix in (".wav", ".toml")))


def load_pack(folder: str | Path) -> VoicePack:
    """The pack in `folder`, read once and kept in memory until its files change."""
    folder = Path(folder)
    if not folder.is_dir() or not any(folder.glob("*.wav")):
        raise VoicePackMissing(f"语音包不存在：{folder}（请运行 govhall voice build）")
    signature = _pack_signature(folder)
    with _pack_lock:
        cached = _pack_cache.get(str(folder))
        if cached and cached[0] == signature:
            return cached[1]
        pack = _read_pack(folder)
        _pack_cache[str(folder)] = (signature, pack)
        return pack


def _read_pack(folder: Path) -> VoicePack:
    declared = {}
    if (folder / PACK_FILE).exists():
        declared = tomllib.loads((folder / PACK_FILE).read_text(encoding="utf-8"))
    clips, shape = {}, None
    if declared:
        shape = (int(declared.get("channels", 1)), int(declared.get("sample_width", 2)),
                 int(declared.get("rate", SAMPLE_RATE)))
    for path in sorted(folder.glob("*.wav")):
        try:
            with wave.open(str(path), "rb") as clip:
                params = (clip.getnchannels(), clip.getsampwidth(), clip.getframerate())
                frames = clip.readframes(clip.getnframes())
        except (wave.Error, EOFError) as error:
            log.warning("voice clip %s unreadable: %s", path, error)
            continue
        shape = shape or params
        if params != shape:
            log.warning("voice clip %s is %s, the pack is %s; convert it with govhall voice build --from",
                        path.name, params, shape)
            continue
        clips[path.stem] = frames
    if not clips:
        raise VoicePackMissing(f"语音包 {folder} 中没有可用的 WAV 片段")
    channels, width, rate = shape
    return VoicePack(folder, channels, width, rate, clips)


def assemble_clips(pack: VoicePack, names: list[str]) -> bytes:
    """One WAV of the named clips in order, with short gaps so it flows like a sentence."""
    parts: list[bytes] = []
    previous_was_clip = False
    for name in names:
        if name.startswith("_pause:"):
            parts.append(pack.silence(int(name.split(":", 1)[1])))
            previous_was_clip = False
            continue
        if previous_was_clip:
            parts.append(pack.silence(GAP_BETWEEN_CLIPS_MS))
        parts.append(pack.clips[name])
        previous_was_clip = True
    parts.append(pack.silence(150))  # a breath at the end, so players never clip the last syllable
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(pack.channels)
        wav.setsampwidth(pack.sample_width)
        wav.setframerate(pack.rate)
        wav.writeframes(b"".join(parts))
    return out.getvalue()


def assemble_announcement(event: dict, config: dict) -> bytes:
    """The WAV of one announced event (`ticket_called`, `ticket_recalled`, `window_paused`)."""
    pack = load_pack(config["server"]["voice_dir"])
    return assemble_clips(pack, announcement_clips(event, config["voice"], set(pack.clips)))


def announcement_text(event: dict, voice_config: dict) -> str:
    """The sentence as text (for the screen and for logs)."""
    template = voice_config.get(TEMPLATE_OF_EVENT.get(event["type"], ""), "")
    data = event["data"]
    return template.format(number=data.get("number", ""), window=data.get("window", ""))


# --- building packs (setup time only: espeak-ng and sox) ----------------------------------

def _require_tools(*tools):
    missing = [tool for tool in tools if not shutil.which(tool)]
    if missing:
        raise VoicePackMissing(f"生成语音包需要 {'、'.join(missing)}（Debian: apt-get install espeak-ng sox）")


def _run(command: list[str]):
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)


def _speak_to(path: Path, pinyin: str, workdir: Path):
    """espeak-ng reads the pinyin; sox trims the silence around it and levels the volume."""
    raw = workdir / "raw.wav"
    _run(["espeak-ng", "-v", ESPEAK_VOICE, "-s", str(ESPEAK_SPEED), "-w", str(raw), pinyin])
    _normalise(raw, path, trim=True)


def _normalise(source: Path, target: Path, trim: bool):
    effects = ["silence", "1", "0.01", "0.5%", "reverse", "silence", "1", "0.01", "0.5%", "reverse"] if trim else []
    _run(["sox", str(source), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer",
          str(target), *effects, "norm", "-1"])


def write_chime(path: Path, rate: int = SAMPLE_RATE):
    """A soft two-note 'ding-dong' (E5 then C5), drawn as decaying sines."""
    frames = bytearray()
    for frequency, seconds in ((659.25, 0.45), (523.25, 0.75)):
        count = int(rate * seconds)
        for i in range(count):
            t = i / rate
            envelope = math.exp(-4.0 * t) * min(1.0, i / (rate * 0.01))
            sample = envelope * (0.8 * math.sin(2 * math.pi * frequency * t)
                                 + 0.2 * math.sin(2 * math.pi * 2 * frequency * t))
            frames += struct.pack("<h", int(sample * 0.6 * 32767))
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(bytes(frames))


def _template_words(voice_config: dict) -> set[str]:
    """Characters of the hall's templates that the fixed vocabulary cannot say."""
    text = "".join(str(voice_config.get(key, "")) for key in TEMPLATE_OF_EVENT.values())
    _, missing = _split_text(_PLACEHOLDER.sub("，", text), set(WORDS))
    return {char for char in missing if not char.isspace()}


def _write_manifest(folder: Path, name: str, source: str):
    (folder / PACK_FILE).write_text(
        f'# 语音包：每个片段以其读音命名（请.wav、A.wav、三.wav、号窗口.wav），格式一致\n'
        f'name = "{name}"\nsource = "{source}"\nrate = {SAMPLE_RATE}\nchannels = 1\nsample_width = 2\n',
        encoding="utf-8")


def build_default_pack(config: dict, folder: str | Path | None = None) -> Path:
    """Generate the default pack offline with espeak-ng into `[server] voice_dir`.

    The fixed vocabulary is read from pinyin; any other hanzi in the hall's templates is
    handed to the same pinyin voice as a character (it reads hanzi correctly, one by one)."""
    _require_tools("espeak-ng", "sox")
    folder = Path(folder or config["server"]["voice_dir"])
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="govhall-voice-") as work:
        work = Path(work)
        staged = work / "pack"
        staged.mkdir()
        write_chime(staged / f"{CHIME}.wav")
        for word, pinyin in WORDS.items():
            _speak_to(staged / f"{word}.wav", pinyin, work)
        for letter in LETTERS:
            _speak_to(staged / f"{letter}.wav", letter, work)
        for char in sorted(_template_words(config.get("voice", {}))):
            _speak_to(staged / f"{char}.wav", char, work)
        _write_manifest(staged, "默认语音包（espeak-ng 合成）", f"espeak-ng {ESPEAK_VOICE}")
        _replace_pack(staged, folder)
    return folder


def import_recorded_pack(source: str | Path, config: dict) -> Path:
    """Convert a folder of recorded clips (any rate, any WAV/FLAC/MP3 sox reads) into the pack
    format and install it in place of the current pack."""
    _require_tools("sox")
    source = Path(source)
    recordings = [p for p in sorted(source.iterdir()) if p.suffix.lower() in (".wav", ".flac", ".mp3", ".ogg")]
    if not recordings:
        raise NotFound(f"{source} 中没有录音片段（.wav/.flac/.mp3/.ogg）")
    folder = Path(config["server"]["voice_dir"])
    with tempfile.TemporaryDirectory(prefix="govhall-voice-") as work:
        staged = Path(work) / "pack"
        staged.mkdir()
        for recording in recordings:
            _normalise(recording, staged / f"{recording.stem}.wav", trim=recording.stem != CHIME)
        if not (staged / f"{CHIME}.wav").exists():
            write_chime(staged / f"{CHIME}.wav")
        _write_manifest(staged, f"录音语音包（{source.name}）", str(source))
        _replace_pack(staged, folder)
    return folder


def _replace_pack(staged: Path, folder: Path):
    """Swap the new clips in; a display never reads a half-written pack for long."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.wav"):
        if not (staged / old.name).exists():
            old.unlink()
    for new in staged.iterdir():
        shutil.move(str(new), str(folder / new.name))
