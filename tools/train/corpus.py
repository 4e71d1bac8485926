#!/usr/bin/python3
"""Build the chat corpus for ternchat's default models from Debian text packages.

Every record is one short conversation: an optional system message and one or
two user/assistant exchanges. Sources (all permissively licensed, see README):
wordnet-base, fortunes (selected English files), fortunes-min,
fortunes-bofh-excuses, fortunes-debian-hints, dict-jargon, dict-devil,
bible-kjv-text, miscfiles (countries), plus generated arithmetic and small talk.
Output: train.jsonl, valid.jsonl, heldout_prompts.jsonl and stats.json in --out.
"""
import argparse
import collections
import gzip
import json
import os
import random
import re
import subprocess

WN = "/usr/share/wordnet"
FORTUNES = "/usr/share/games/fortunes"
DICTD = "/usr/share/dictd"

# English fortune files from the fortunes / fortunes-min / -bofh-excuses /
# -debian-hints packages. Files made mostly of song lyrics or quotes from
# recent copyrighted novels and TV shows, and the offensive set, are left out.
FORTUNE_FILES = [
    "art", "computers", "cookie", "definitions", "education", "food",
    "fortunes", "goedel", "humorists", "kids", "law", "linux", "linuxcookie",
    "literature", "love", "magic", "medicine", "miscellaneous", "news",
    "paradoxum", "people", "pets", "platitudes", "riddles", "science",
    "sports", "wisdom", "work", "zippy",
]

SYSTEMS = [
    "You are a helpful assistant.",
    "You are a helpful assistant.",
    "You are a helpful assistant.",
    "You are ternchat, a small helpful assistant.",
    "You are a friendly assistant. Answer briefly.",
    "Answer the user's question.",
]


def clean(s):
    s = s.replace("\t", " ").replace("\r", "")
    s = re.sub(r"[ ]{2,}", " ", s)
    return s.strip()


# ---------------------------------------------------------------- WordNet
POS_NAME = {"n": "noun", "v": "verb", "a": "adjective", "s": "adjective",
            "r": "adverb"}


def wn_synsets():
    """Parse data.* into offset -> (pos, words, hypernym offsets, gloss)."""
    syn = {}
    for fname, pos in (("noun", "n"), ("verb", "v"), ("adj", "a"),
                       ("adv", "r")):
        with open(os.path.join(WN, "data." + fname), encoding="latin-1") as f:
            for line in f:
                if line.startswith("  "):
                    continue
                head, _, gloss = line.partition(" | ")
                p = head.split()
                off, ss_type = p[0], p[2]
                wcnt = int(p[3], 16)
                words = [p[4 + 2 * i].replace("_", " ") for i in range(wcnt)]
                words = [re.sub(r"\([a-z]+\)$", "", w) for w in words]
                k = 4 + 2 * wcnt
                pcnt = int(p[k])
                hyp = []
                for i in range(pcnt):
                    sym, poff = p[k + 1 + 4 * i], p[k + 2 + 4 * i]
                    if sym in ("@", "@i"):
                        hyp.append((pos, poff))
                syn[(pos, off)] = (ss_type, words, hyp, gloss.strip())
    return syn


def wn_common_senses():
    """lemma -> list of (pos, offset) for senses tagged in SemCor (common)."""
    out = collections.OrderedDict()
    for fname, pos in (("noun", "n"), ("verb", "v"), ("adj", "a"),
                       ("adv", "r")):
        with open(os.path.join(WN, "index." + fname), encoding="latin-1") as f:
            for line in f:
                if line.startswith("  "):
                    continue
                p = line.split()
                lemma = p[0].replace("_", " ")
                scnt = int(p[2])
                pcnt = int(p[3])
                tagged = int(p[5 + pcnt])
                offs = p[6 + pcnt:6 + pcnt + scnt]
                if tagged <= 0 or not lemma.isascii():
                    continue
                if any(c.isdigit() for c in lemma):
                    continue
                for off in offs[:min(tagged, 3)]:
                    out.setdefault(lemma, []).append((pos, off))
    return out


def split_gloss(gloss):
    """Return (definition, [examples]) from a WordNet gloss."""
    exs = re.findall(r'"([^"]+)"', gloss)
    defn = re.sub(r'"[^"]*"', "", gloss)
    defn = re.sub(r"(;\s*)+$", "", defn.strip()).strip(" ;")
    defn = re.sub(r";\s*;", ";", defn)
    return clean(defn), [clean(e) for e in exs]


def article(w):
    return "an" if w[:1].lower() in "aeiou" else "a"


def wordnet_records(rng):
    syn = wn_synsets()
    senses = wn_common_senses()
    recs = []
    mean_q = ["What does \"{w}\" mean?", "What does {w} mean?",
              "Define {w}.", "What is the meaning of \"{w}\"?",
              "Can you define the word \"{w}\"?", "Meaning of {w}?",
              "what does {w} mean", "Explain the word \"{w}\"."]
    for lemma, offs in senses.items():
        parts = []
        for pos, off in offs:
            s = syn.get((pos, off))
            if not s:
                continue
            ss_type, words, hyp, gloss = s
            defn, exs = split_gloss(gloss)
            if not defn:
                continue
            parts.append((POS_NAME[ss_type], defn, exs, words, hyp))
        if not parts:
            continue
        # definition exchange (all common senses together)
        q = rng.choice(mean_q).format(w=lemma)
        if len(parts) == 1:
            a = "\"%s\" (%s) means %s." % (lemma, parts[0][0], parts[0][1])
        else:
            lines = ["\"%s\" has several meanings:" % lemma]
            for i, (pn, d, _, _, _) in enumerate(parts, 1):
                lines.append("%d. (%s) %s." % (i, pn, d))
            a = "\n".join(lines)
        recs.append(("wordnet", q, a))
        pn, d, exs, words, hyp = parts[0]
        # example sentence
        good = [e for e in exs if lemma.split()[0].lower() in e.lower()]
        if good:
            q = rng.choice(["Use \"{w}\" in a sentence.",
                            "Give me an example sentence with \"{w}\".",
                            "How do you use the word {w}?"]).format(w=lemma)
            a = "Here is an example: \"%s\"" % good[0]
            if rng.random() < 0.5:
                a = "For example: \"%s\"" % good[0]
            recs.append(("wordnet", q, a))
        # synonyms
        others = [w for w in words if w.lower() != lemma.lower()]
        if others:
            q = rng.choice(["What is a synonym for \"{w}\"?",
                            "Give me another word for {w}.",
                            "What's another word for \"{w}\"?"]).format(w=lemma)
            if len(others) == 1:
                a = "Another word for \"%s\" is \"%s\"." % (lemma, others[0])
            else:
                a = "Words with a similar meaning to \"%s\" are %s." % (
                    lemma, ", ".join("\"%s\"" % o for o in others[:4]))
            recs.append(("wordnet", q, a))
        # "What is a X?" for nouns with a hypernym
        if pn == "noun" and hyp and lemma.islower():
            h = syn.get(hyp[0])
            if h:
                hw = h[1][0]
                q = rng.choice(["What is {a} {w}?", "what is {a} {w}",
                                "Tell me what {a} {w} is."]).format(
                                    a=article(lemma), w=lemma)
                a = "%s %s is %s %s: %s." % (article(lemma).capitalize(),
                                             lemma, article(hw), hw, d)
                recs.append(("wordnet", q, a))
    return recs


# ---------------------------------------------------------------- fortunes
def read_fortunes(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    out = []
    for chunk in re.split(r"\n%\n", text):
        chunk = chunk.strip("\n")
        if not chunk.strip() or len(chunk) > 700:
            continue
        lines = [l.rstrip().replace("\t", "    ") for l in chunk.split("\n")]
        out.append("\n".join(lines).strip())
    return out


def fortune_records(rng):
    recs = []
    ask = ["Tell me a fortune.", "Give me a fortune cookie.",
           "Say something wise.", "Tell me something interesting.",
           "Give me a quote.", "Tell me a joke.", "Cheer me up.",
           "Share a saying with me.", "fortune", "Say something funny."]
    intro = ["", "", "", "Here is one:\n", "Here's a fortune for you:\n",
             "Sure.\n", "Here you go:\n"]
    for name in FORTUNE_FILES:
        p = os.path.join(FORTUNES, name)
        if not os.path.exists(p):
            continue
        for t in read_fortunes(p):
            recs.append(("fortunes", rng.choice(ask), rng.choice(intro) + t))
    p = os.path.join(FORTUNES, "bofh-excuses")
    for t in read_fortunes(p):
        t = re.sub(r"^BOFH excuse #\d+:\s*", "", t).strip()
        if not t:
            continue
        q = rng.choice(["Why is the server down?",
                        "Give me an excuse for the outage.",
                        "Why doesn't my computer work?",
                        "What went wrong with the network?"])
        a = "The excuse of the day: %s" % t
        if a[-1] not in ".!?":
            a += "."
        recs.append(("bofh-excuses", q, a))
    p = os.path.join(FORTUNES, "debian-hints")
    for t in read_fortunes(p):
        q = rng.choice(["Give me a Debian tip.", "Any hints for Debian?",
                        "Tell me a Debian hint."])
        recs.append(("debian-hints", q, t))
    return recs


# ---------------------------------------------------------------- dictd
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64num(s):
    n = 0
    for c in s:
        n = n * 64 + B64.index(c)
    return n


def dict_entries(name):
    with gzip.open(os.path.join(DICTD, name + ".dict.dz")) as f:
        data = f.read()
    out = []
    with open(os.path.join(DICTD, name + ".index"), encoding="utf-8") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 3 or p[0].startswith("00"):
                continue
            off, ln = b64num(p[1]), b64num(p[2])
            out.append((p[0], data[off:off + ln].decode("utf-8", "replace")))
    return out


def squash_paragraphs(body, limit):
    paras = [clean(" ".join(l.strip() for l in para.split("\n")))
             for para in re.split(r"\n\s*\n", body) if para.strip()]
    out = ""
    for p in paras:
        if out and len(out) + len(p) > limit:
            break
        out = (out + "\n\n" + p) if out else p
    return out[:limit * 2]


def jargon_records(rng):
    recs = []
    for word, body in dict_entries("jargon"):
        lines = body.split("\n")
        body = "\n".join(lines[1:])           # drop headword line
        body = re.sub(r"\{([^}]*)\}", r"\1", body)
        text = squash_paragraphs(body, 500)
        # drop pronunciation / part of speech line like "/hak/, n."
        text = re.sub(r"^/[^/]*/,?\s*", "", text)
        if len(text) < 20:
            continue
        q = rng.choice(["What does \"{w}\" mean in hacker jargon?",
                        "What is {w} in hacker slang?",
                        "Explain the jargon term \"{w}\".",
                        "In the Jargon File, what is \"{w}\"?"]).format(w=word)
        recs.append(("dict-jargon", q, text))
    return recs


def devil_records(rng):
    recs = []
    for word, body in dict_entries("devil"):
        text = squash_paragraphs(body, 450)
        m = re.match(r"^([A-Z][A-Z' -]+),\s*(n|v|adj|adv|pp|x|v\.t|v\.i|"
                     r"p\.p)\.[a-z.]*\s*", text)
        if m:
            text = text[m.end():]
        if len(text) < 10:
            continue
        w = word.lower()
        q = rng.choice(["How does the Devil's Dictionary define \"{w}\"?",
                        "Give me a cynical definition of {w}.",
                        "What is {w}, according to Ambrose Bierce?"]).format(w=w)
        recs.append(("dict-devil", q, text))
    return recs


# ---------------------------------------------------------------- bible
def bible_records(rng):
    out = subprocess.run(["bible", "-l0", "Gen1:1-Rev22:21"],
                         capture_output=True, text=True, check=True).stdout
    verses = []
    book, chap = None, None
    for line in out.split("\n"):
        if not line.strip():
            continue
        m = re.match(r"^(\S.*?) (\d+)$", line)
        if m and not line.startswith(" "):
            book, chap = m.group(1), int(m.group(2))
            continue
        m = re.match(r"^\s*(\d+) (.*)$", line)
        if m and book:
            verses.append((book, chap, int(m.group(1)), clean(m.group(2))))
    recs = []
    for i, (b, c, v, t) in enumerate(verses):
        r = rng.random()
        ref = "%s %d:%d" % (b, c, v)
        if r < 0.55:
            q = rng.choice(["Quote {r}.", "What does {r} say?",
                            "Recite {r} from the King James Bible.",
                            "{r}?"]).format(r=ref)
            recs.append(("bible-kjv", q, "%s: %s" % (ref, t)))
        elif r < 0.85 and i + 1 < len(verses) and verses[i + 1][0] == b:
            nb, nc, nv, nt = verses[i + 1]
            q = "Continue this verse: \"%s\"" % t
            recs.append(("bible-kjv", q, "%s %d:%d: %s" % (nb, nc, nv, nt)))
        else:
            q = rng.choice(["Give me a Bible verse.",
                            "Tell me a verse from the Bible.",
                            "Share a verse from the King James Bible."])
            recs.append(("bible-kjv", q, "%s (%s)" % (t, ref)))
    return recs


# ---------------------------------------------------------------- countries
def country_records(rng):
    recs = []
    with gzip.open("/usr/share/misc/countries.gz", "rt",
                   encoding="utf-8") as f:
        rows = [l.rstrip("\n").split(":") for l in f if not l.startswith("#")]
    for _ in range(6):
        for r in rows:
            if len(r) < 5:
                continue
            _, iso2, iso3, name, cap = r[:5]
            cap = re.sub(r"\s*\(.*?\)", "", cap.split(",")[0]).strip()
            k = rng.random()
            if cap and k < 0.6:
                q = rng.choice(["What is the capital of {c}?",
                                "what's the capital of {c}",
                                "Capital of {c}?",
                                "Which city is the capital of {c}?"]
                               ).format(c=name)
                a = rng.choice(["The capital of {c} is {k}.", "{k}.",
                                "{k} is the capital of {c}."]
                               ).format(c=name, k=cap)
            elif cap and k < 0.8:
                q = "%s is the capital of which country?" % cap
                a = "%s is the capital of %s." % (cap, name)
            else:
                q = rng.choice(["What is the country code of {c}?",
                                "What is the ISO code for {c}?"]
                               ).format(c=name)
                a = "The ISO 3166 code of %s is %s (three letters: %s)." % (
                    name, iso2, iso3)
            recs.append(("miscfiles-countries", q, a))
    return recs


# ---------------------------------------------------------------- arithmetic
NUMW = ["zero", "one", "two", "three", "four", "five", "six", "seven",
        "eight", "nine", "ten", "eleven", "twelve"]


def arithmetic_records(rng, n):
    recs = []
    for _ in range(n):
        op = rng.choice("+-*+-/")
        big = rng.random() < 0.5
        a, b = rng.randint(0, 99 if big else 12), rng.randint(0, 99 if big else 12)
        if op == "+":
            r, w = a + b, "plus"
        elif op == "-":
            if a < b:
                a, b = b, a
            r, w = a - b, "minus"
        elif op == "*":
            a, b = rng.randint(0, 12), rng.randint(0, 12 if not big else 20)
            r, w = a * b, "times"
        else:
            b = rng.randint(1, 12)
            r = rng.randint(0, 12)
            a, w = r * b, "divided by"
        sym = {"+": "+", "-": "-", "*": "*", "/": "/"}[op]
        q = rng.choice(["What is {a} {s} {b}?", "{a} {s} {b} = ?",
                        "Calculate {a} {s} {b}.", "What is {a} {w} {b}?",
                        "what's {a}{s}{b}"]).format(a=a, b=b, s=sym, w=w)
        ans = rng.choice(["{a} {s} {b} = {r}.", "The answer is {r}.",
                          "{a} {w} {b} is {r}.", "{r}"]).format(
                              a=a, b=b, s=sym, w=w, r=r)
        recs.append(("arithmetic", q, ans))
    for _ in range(n // 10):
        a, b = rng.randint(0, 12), rng.randint(0, 12)
        q = "Which is larger, %d or %d?" % (a, b)
        ans = ("They are equal." if a == b else "%d is larger." % max(a, b))
        recs.append(("arithmetic", q, ans))
        k = rng.randint(0, 12)
        recs.append(("arithmetic", "How do you write %d in words?" % k,
                     "%d is written \"%s\"." % (k, NUMW[k])))
    return recs


# ---------------------------------------------------------------- small talk
SMALL = [
    (["Hello!", "Hi", "hi", "Hello", "Hey there!", "Good morning!",
      "Good evening.", "hello there"],
     ["Hello! How can I help you?", "Hi! What would you like to talk about?",
      "Hello! Ask me about a word, a country or a sum.",
      "Hi there. How can I help?"]),
    (["How are you?", "How are you doing today?", "how's it going?"],
     ["I'm fine, thank you. How can I help?",
      "I'm doing well. What can I do for you?",
      "All good here. What would you like to know?"]),
    (["Who are you?", "What are you?", "What is your name?",
      "Tell me about yourself."],
     ["I am ternchat's small demo model. I was trained on a few megabytes of "
      "dictionary entries, fortunes and verses, so I know very little.",
      "I'm a tiny language model that ships with ternchat. I can chat a "
      "little, but for real answers you should load a bigger model.",
      "I am a small demo assistant trained on Debian text packages."]),
    (["Thank you!", "Thanks", "thanks a lot", "Thank you very much."],
     ["You're welcome!", "Glad I could help.", "Any time!",
      "You're welcome. Anything else?"]),
    (["Goodbye!", "Bye", "See you later.", "Good night!"],
     ["Goodbye!", "Bye! Have a nice day.", "See you later!",
      "Good night!"]),
    (["What can you do?", "Help", "What do you know?"],
     ["I can define common words, give synonyms, name capitals, do small "
      "sums, quote the Bible and tell fortunes. I am small, so I make "
      "mistakes.",
      "Ask me what a word means, the capital of a country, a simple sum, or "
      "for a fortune."]),
    (["Are you smart?", "Are you a real AI?", "Can you think?"],
     ["I am a very small model, so not really. I mostly repeat patterns "
      "from my training text.",
      "Not very. I am a tiny demo model with about two million parameters."]),
    (["Tell me a story.", "Write a poem."],
     ["I'm too small to write stories, but here is a saying: a journey of a "
      "thousand miles begins with a single step.",
      "I can't write much, but I can tell you a fortune if you like."]),
    (["What day is it today?", "What time is it?"],
     ["I don't have a clock, so I can't tell you.",
      "I have no way to know the date or the time."]),
    (["Do you like me?", "Are you happy?"],
     ["I'm a program, but I'm happy to chat with you.",
      "I don't have feelings, but I enjoy answering questions."]),
]


def smalltalk_records(rng, n):
    recs = []
    for _ in range(n):
        qs, ans = rng.choice(SMALL)
        recs.append(("smalltalk", rng.choice(qs), rng.choice(ans)))
    return recs


# ---------------------------------------------------------------- assembly
def build(seed):
    rng = random.Random(seed)
    ex = []
    ex += wordnet_records(rng)
    ex += fortune_records(rng)
    ex += jargon_records(rng)
    ex += devil_records(rng)
    ex += bible_records(rng)
    ex += country_records(rng)
    ex += arithmetic_records(rng, 12000)
    ex += smalltalk_records(rng, 4000)
    rng.shuffle(ex)
    # group into conversations: mostly one exchange, some two
    recs = []
    i = 0
    while i < len(ex):
        k = 2 if rng.random() < 0.15 and i + 1 < len(ex) else 1
        turns = ex[i:i + k]
        i += k
        rec = {"source": turns[0][0], "messages": []}
        if rng.random() < 0.5:
            rec["messages"].append({"role": "system",
                                    "content": rng.choice(SYSTEMS)})
        for src, q, a in turns:
            rec["messages"].append({"role": "user", "content": q})
            rec["messages"].append({"role": "assistant", "content": a})
        recs.append(rec)
    return ex, recs


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--valid-frac", type=float, default=0.02)
    ap.add_argument("--heldout", type=int, default=200)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    ex, recs = build(args.seed)
    nv = int(len(recs) * args.valid_frac)
    valid, train = recs[:nv], recs[nv:]
    # held-out prompts: first user turns of validation records (never trained)
    held = []
    for r in valid:
        msgs = [m for m in r["messages"] if m["role"] != "assistant"][:2]
        if msgs[-1]["role"] == "user":
            held.append({"source": r["source"], "messages": msgs})
        if len(held) >= args.heldout:
            break
    for name, rows in (("train", train), ("valid", valid),
                       ("heldout_prompts", held)):
        with open(os.path.join(args.out, name + ".jsonl"), "w",
                  encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    stats = collections.OrderedDict()
    for src, q, a in ex:
        s = stats.setdefault(src, {"exchanges": 0, "bytes": 0})
        s["exchanges"] += 1
        s["bytes"] += len(q.encode()) + len(a.encode())
    total = {"exchanges": len(ex), "records": len(recs),
             "bytes": sum(v["bytes"] for v in stats.values()),
             "train_records": len(train), "valid_records": len(valid)}
    with open(os.path.join(args.out, "stats.json"), "w") as f:
        json.dump({"sources": stats, "total": total}, f, indent=1)
    for k, v in sorted(stats.items(), key=lambda kv: -kv[1]["bytes"]):
        print("%-22s %7d exchanges %9d bytes" % (k, v["exchanges"], v["bytes"]))
    print("total", total)


if __name__ == "__main__":
    main()
