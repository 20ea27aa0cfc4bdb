"""Voice announcements: which clips a call is made of, the default pack espeak-ng builds,
a recorded pack converted with sox, and the WAV assembled from a pack."""

from __future__ import annotations

import array
import io
import math
import subprocess
import wave

import pytest

from queue_server.config import load_config
from queue_server.voice import (CHIME, GAP_AFTER_CHIME_MS, GAP_BETWEEN_CLIPS_MS, GAP_BETWEEN_REPEATS_MS, LETTERS,
                                WORDS, NotAnnounced, VoicePackMissing, announcement_clips, assemble_announcement,
                                import_recorded_pack, load_pack, say_cardinal, say_ticket_number)

CALL = {"id": 7, "type": "ticket_called", "at": "2026-11-25T01:00:00+00:00", "data": {"number": "A012", "window": 3}}


def config_with_pack(folder, **voice) -> dict:
    config = load_config(environ={})
    config["server"]["voice_dir"] = str(folder)
    config["voice"].update(voice)
    return config


def decode(wav_bytes) -> tuple[wave._wave_params, array.array]:
    with wave.open(io.BytesIO(wav_bytes), "rb") as wav:
        params = wav.getparams()
        samples = array.array("h", wav.readframes(wav.getnframes()))
    return params, samples


def rms(samples) -> float:
    return math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0


@pytest.mark.parametrize("number, spoken", [
    (1, "一"), (3, "三"), (10, "十"), (12, "十二"), (20, "二十"), (23, "二十三"), (100, "一百"), (105, "一百零五"),
    (120, "一百二十"),
])
def test_window_numbers_are_read_as_numbers(number, spoken):
    assert "".join(say_cardinal(number)) == spoken


def test_ticket_numbers_are_read_digit_by_digit():
    assert say_ticket_number("A012") == ["A", "零", "一", "二"]
    assert say_ticket_number("c100") == ["C", "一", "零", "零"]


def test_a_call_is_the_chime_then_the_sentence_twice():
    available = set(WORDS) | set(LETTERS) | {CHIME}
    sentence = ["请", "A", "零", "一", "二", "号", "到", "三", "号窗口", "办理"]
    clips = announcement_clips(CALL, load_config(environ={})["voice"], available)
    assert clips == [CHIME, f"_pause:{GAP_AFTER_CHIME_MS}", *sentence, f"_pause:{GAP_BETWEEN_REPEATS_MS}", *sentence]


def test_recall_and_pause_have_their_own_templates():
    available = set(WORDS) | set(LETTERS) | {CHIME}
    voice = {"recall": "重呼，请{number}号到{window}号窗口办理", "pause": "{window}号窗口暂停服务", "repeat": 1}
    recall = announcement_clips({**CALL, "type": "ticket_recalled"}, voice, available)
    assert recall[2:5] == ["重呼", "_pause:250", "请"]
    pause = announcement_clips({"id": 8, "type": "window_paused", "data": {"window": 12}}, voice, available)
    assert pause[2:] == ["十", "二", "号窗口", "暂停服务"]


def test_events_that_are_not_spoken_are_refused():
    with pytest.raises(NotAnnounced):
        announcement_clips({"id": 1, "type": "ticket_issued", "data": {}}, load_config(environ={})["voice"], {"请"})


def test_default_words_are_read_as_mandarin_by_the_pinyin_voice():
    """espeak-ng's `cmn` voice reads hanzi as English words; the pinyin voice, fed pinyin with
    tone numbers, stays in Mandarin: no switch to English in its phonemes."""
    for word, pinyin in WORDS.items():
        phonemes = subprocess.run(["espeak-ng", "-q", "-x", "-v", "cmn-latn-pinyin", pinyin],
                                  capture_output=True, text=True, check=True).stdout
        assert "(en)" not in phonemes and phonemes.strip(), (word, pinyin, phonemes)


def test_the_default_pack_has_every_clip_in_one_format(voice_pack):
    pack = load_pack(voice_pack)
    assert set(WORDS) | set(LETTERS) | {CHIME} <= set(pack.clips)
    assert (pack.channels, pack.sample_width, pack.rate) == (1, 2, 22050)
    for name, frames in pack.clips.items():
        seconds = len(frames) / 2 / pack.rate
        assert 0.1 < seconds < 2.0, (name, seconds)  # trimmed speech, not silence, not a sentence
        assert rms(array.array("h", frames)) > 1000, name  # levelled, audible


def test_an_assembled_call_decodes_and_lasts_as_long_as_its_clips(voice_pack):
    config = config_with_pack(voice_pack)
    pack = load_pack(voice_pack)
    params, samples = decode(assemble_announcement(CALL, config))
    assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, 22050)
    clips = announcement_clips(CALL, config["voice"], set(pack.clips))
    speech_frames = sum(len(pack.clips[c]) // 2 for c in clips if not c.startswith("_"))
    pauses_ms = sum(int(c.split(":")[1]) for c in clips if c.startswith("_pause"))
    joins = 2 * (10 - 1)  # ten clips per sentence, a short gap between neighbours
    expected = speech_frames + (pauses_ms + joins * GAP_BETWEEN_CLIPS_MS + 150) * 22050 // 1000
    assert abs(len(samples) - expected) <= 30
    assert 8.0 < len(samples) / 22050 < 16.0
    # the chime opens it and speech follows: neither part is silent
    chime = len(pack.clips[CHIME]) // 2
    assert rms(samples[:chime]) > 1000 and rms(samples[chime:]) > 1000


def test_a_missing_pack_is_a_clear_error(tmp_path):
    with pytest.raises(VoicePackMissing):
        assemble_announcement(CALL, config_with_pack(tmp_path / "none"))


def test_a_recorded_pack_is_converted_to_the_pack_format(tmp_path):
    recordings = tmp_path / "recorded"
    recordings.mkdir()
    for name, frequency in (("请", 300), ("号", 400), ("到", 500), ("号窗口", 600), ("办理", 700), ("A", 800),
                            ("零", 350), ("一", 450), ("二", 550), ("三", 650)):
        # a 44.1 kHz stereo "recording" with silence around it, as a hall's studio might deliver it
        subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", str(recordings / f"{name}.wav"),
                        "synth", "0.4", "sine", str(frequency), "pad", "0.3", "0.3"], check=True)
    config = config_with_pack(tmp_path / "pack")
    import_recorded_pack(recordings, config)
    pack = load_pack(tmp_path / "pack")
    assert (pack.channels, pack.rate) == (1, 22050)
    assert CHIME in pack.clips  # a pack without a chime gets the default one
    assert abs(len(pack.clips["请"]) / 2 / 22050 - 0.4) < 0.05  # the silence around it was trimmed
    params, samples = decode(assemble_announcement(CALL, config))
    assert params.framerate == 22050 and len(samples) > 22050 * 4


def test_a_clip_in_another_format_is_left_out_and_a_replaced_clip_is_picked_up(tmp_path, voice_pack):
    folder = tmp_path / "pack"
    folder.mkdir()
    for path in voice_pack.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(folder / "谢.wav"), "synth", "0.3", "sine", "440"],
                   check=True)
    pack = load_pack(folder)
    assert "谢" not in pack.clips and "请" in pack.clips
    before = assemble_announcement(CALL, config_with_pack(folder))
    subprocess.run(["sox", "-n", "-r", "22050", "-c", "1", "-b", "16", str(folder / "请.wav"), "synth", "1.0", "sine", "440"],
                   check=True)
    after = assemble_announcement(CALL, config_with_pack(folder))
    assert len(after) != len(before)
