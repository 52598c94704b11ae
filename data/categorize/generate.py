#!/usr/bin/env python3
"""Generates the labelled support-message set used to measure the classifier.

Deterministic: a fixed seed drives every choice, so running it again writes
the same file byte for byte. Standard library only.

    python3 data/categorize/generate.py > data/categorize/messages.jsonl

Each line: {"id", "subject", "body", "category", "split", "traits"}.
Categories: billing, technical, account, shipping, general (the demo team's
billing/technical/general plus two that real teams commonly have).

How a message is made (see README.md beside this file):
  1. pick a category (fixed shares) and one of its intents;
  2. fill the intent's subject and body templates from paraphrase slots
     (products, amounts, dates, devices, error codes, order numbers);
  3. wrap it in a random opener, closer and signature, or none (chat-style);
  4. perturb it: typos (~20% of messages), all-lowercase or shouting,
     a sentence about a second topic (~15%, "mixed"), a very short
     message (~6%, "short"), or a deliberately ambiguous one (~6%,
     "ambiguous": two topics weighed equally; the label is the topic the
     customer asks to be done, as an agent would file it);
  5. the split is drawn first (20% "test", by the seed); the last entry of
     every template and slot list is held out: only test messages may use
     it (a test message draws from the whole list), so about a third of the
     test set is phrased in ways the training split never shows — closer to
     new mail than a split of one template pool would be.
"""

import json
import random
import sys

SEED = 20261125
COUNT = 1250
TEST_SHARE = 0.2

SHARES = {"billing": 0.26, "technical": 0.28, "account": 0.16, "shipping": 0.14, "general": 0.16}

SLOTS = {
    "product": ["Pro plan", "Team plan", "Starter plan", "the annual subscription", "the monthly plan",
                "Business tier", "the add-on seats", "premium support"],
    "amount": ["$19.99", "$49", "€120", "£35.50", "$240", "$9.00", "€15", "$1,200"],
    "date": ["yesterday", "last week", "on March 3", "this morning", "two days ago", "on the 1st",
             "last month", "over the weekend"],
    "device": ["iPhone", "Android phone", "Windows laptop", "MacBook", "iPad", "Chromebook",
               "Linux desktop", "Samsung tablet"],
    "app": ["the app", "the desktop app", "the web dashboard", "the mobile app", "the browser extension",
            "your iOS app", "the Android app"],
    "code": ["error 502", "error 401", "code E1234", "a 500 error", "error 0x80070005",
             "'connection refused'", "'unexpected token'", "a timeout"],
    "order": ["#48213", "#10027", "#77310", "#55102", "#90841", "#31337", "#62001"],
    "courier": ["UPS", "FedEx", "DHL", "the courier", "the post office", "USPS"],
    "country": ["Canada", "Germany", "Australia", "the UK", "Brazil", "Japan"],
}

INTENTS = {
    "billing": [
        (["Charged twice", "Double charge", "Duplicate payment", "charged 2x??"],
         ["I was charged twice for {product} {date}. Please refund the duplicate payment of {amount}.",
          "My card shows two charges of {amount} for the same month. Can you reverse one?",
          "There's a duplicate charge on my statement from {date}, same amount {amount}."]),
        (["Refund request", "Refund please", "Money back", "Requesting a refund"],
         ["I cancelled {product} {date} but still got billed {amount}. I'd like a refund.",
          "Can I get my money back for {product}? I never used it.",
          "Please refund the {amount} you took {date}, I downgraded before the renewal."]),
        (["Invoice", "Need an invoice", "VAT invoice", "Receipt missing"],
         ["Where can I download the invoice for {date}? Our accounting needs it with our VAT number.",
          "I need a receipt for the {amount} payment for {product}.",
          "The invoice shows the wrong company name, can you reissue it?"]),
        (["Payment failed", "Card declined", "Update card", "Billing details"],
         ["My payment keeps failing even though the card is valid. How do I update my card details?",
          "The card on file expired, where do I change the payment method?",
          "Your checkout declined my card {date} but the bank says it's fine."]),
        (["Pricing question", "Plan price", "Upgrade cost", "Discount?"],
         ["How much would it cost to move from {product} to annual billing? Is there a discount?",
          "Why did the price of {product} go up to {amount} this cycle?",
          "Do you prorate the charge if I upgrade mid-month?"]),
    ],
    "technical": [
        (["App crashes", "Crash on startup", "keeps crashing", "Crash"],
         ["{app} crashes every time I open it on my {device} since the update.",
          "As soon as I tap sync, {app} freezes and then closes. {device}, latest version.",
          "Crashed three times {date} while uploading a file."]),
        (["Error message", "Getting an error", "{code}", "Error when saving"],
         ["I keep getting {code} when I try to save a project in {app}.",
          "The page shows {code} and nothing loads. Cleared cache already.",
          "Since {date} every export fails with {code}."]),
        (["Sync not working", "Data not syncing", "Sync issue"],
         ["Changes I make on my {device} don't show up on the web dashboard. Sync seems stuck.",
          "Sync has been spinning for hours in {app}, nothing updates.",
          "My files are out of date between devices, sync stopped {date}."]),
        (["Install problem", "Can't install", "Installer fails", "Update broke it"],
         ["The installer stops halfway on my {device} with {code}.",
          "After the latest update {app} won't start anymore.",
          "How do I reinstall {app} without losing my settings? The update failed."]),
        (["Slow performance", "Very slow", "Bug report", "Feature broken"],
         ["{app} has become extremely slow, pages take 30 seconds to load.",
          "Found a bug: the search returns nothing even for exact titles.",
          "Notifications stopped arriving on my {device}, settings look correct."]),
        (["API question", "Webhook failing", "Integration broken"],
         ["Our webhook calls started returning {code} {date}. Did the API change?",
          "The Zapier integration stopped creating records, logs show {code}.",
          "API requests time out intermittently, is there an outage?"]),
    ],
    "account": [
        (["Password reset", "Forgot password", "Reset link not arriving"],
         ["I forgot my password and the reset email never arrives. I checked spam.",
          "The password reset link says it expired as soon as I click it.",
          "How do I reset my password if I no longer have access to my old email?"]),
        (["Locked out", "Account locked", "Two-factor problem", "2FA"],
         ["I'm locked out of my account after too many attempts.",
          "I lost my phone and can't get the two-factor code. How do I get back in?",
          "My authenticator app was reset, now I can't sign in."]),
        (["Change email", "Update account details", "Rename account"],
         ["How do I change the email address on my account?",
          "Please update the account owner to my colleague, I'm leaving the company.",
          "I want to change my username and profile details."]),
        (["Delete account", "Close my account", "GDPR request"],
         ["Please delete my account and all my personal data.",
          "I'd like to close my account permanently, how do I do that?",
          "Under GDPR I request a copy of the personal data you hold on me."]),
        (["Add a user", "Team member access", "Permissions"],
         ["How do I invite a new team member and give them admin permissions?",
          "A colleague can't see our shared projects, which role does she need?",
          "Remove a former employee's access to our account please."]),
    ],
    "shipping": [
        (["Where is my order", "Order not arrived", "Delivery status", "Late delivery"],
         ["My order {order} was supposed to arrive {date} and it's still not here.",
          "Tracking for {order} hasn't moved in a week. Where is my parcel?",
          "{courier} says delivered but there is no package at my door."]),
        (["Damaged item", "Package damaged", "Broken on arrival"],
         ["The box for order {order} arrived crushed and the item inside is broken.",
          "My parcel came damaged, what do I do to get a replacement?",
          "Received order {order} {date}, one piece is cracked."]),
        (["Wrong item", "Missing items", "Incomplete order"],
         ["I received the wrong size in order {order}.",
          "Two items are missing from order {order}.",
          "The package contained someone else's order."]),
        (["Shipping address", "Change delivery address", "International shipping"],
         ["Can I change the delivery address for order {order}? I moved.",
          "Do you ship to {country}, and how long does delivery take?",
          "I typed the wrong postcode for {order}, can {courier} redirect it?"]),
        (["Return label", "Return an item", "Exchange"],
         ["How do I return an item from order {order}? I need a return label.",
          "I'd like to exchange my order {order} for a different colour.",
          "The return window for {order}, is it 30 days from delivery?"]),
    ],
    "general": [
        (["Question", "Quick question", "Info", "Hello"],
         ["Do you have a phone number I can call to talk to someone?",
          "What are your opening hours for support?",
          "Is there a user guide or tutorial for beginners?"]),
        (["Feature request", "Suggestion", "Idea"],
         ["It would be great if you added a dark mode.",
          "Suggestion: let us export reports to a spreadsheet.",
          "Any plans for a calendar view? We'd use it daily."]),
        (["Feedback", "Compliment", "Great service"],
         ["Just wanted to say your team was very helpful last time.",
          "Love the product, keep up the good work!",
          "Some feedback on the new design: the menu is harder to find now."]),
        (["Partnership", "Press inquiry", "Business proposal"],
         ["We're a marketing agency and would like to discuss a partnership.",
          "I'm a journalist writing about remote work tools, could I interview someone?",
          "Are you hiring? I'd like to apply for a job in your company."]),
        (["Complaint", "Not happy", "Unsubscribe"],
         ["Please stop sending me newsletters, I want to unsubscribe.",
          "I'm not happy with how long it takes to get an answer from you.",
          "Your website is confusing, I couldn't find what I was looking for."]),
    ],
}

OPENERS = ["Hi,", "Hello,", "Hi there,", "Dear support,", "Hey team,", "Good morning,", "", "", "", "Hiya"]
CLOSERS = ["Thanks!", "Thank you.", "Regards,", "Best,", "Cheers", "Thanks in advance", "", "", "Kind regards,",
           "ASAP please."]
NAMES = ["Anna", "Ben", "Chloé", "Dmitri", "Emeka", "Fatima", "Grace", "Hiro", "Ines", "José", "Kai", "Lena"]

# A second topic woven into a message (mixed traits); words an agent would
# see but that do not change what the customer needs.
ASIDES = {
    "billing": ["(I'm on {product} if that matters)", "Also my last invoice looked fine.",
                "I pay annually, by the way."],
    "technical": ["The app itself works fine otherwise.", "I'm on a {device}.",
                  "No error messages anywhere."],
    "account": ["I'm the account admin.", "I log in with Google.", "My username is the same as my email."],
    "shipping": ["My last order arrived on time.", "I ordered {date}.", "Tracking number is in my email."],
    "general": ["Love the product otherwise!", "Long-time customer here.", "Sorry for the long message."],
}

# Ambiguous: two topics weighed equally; the label is the first (what the
# customer asks to be done).
AMBIGUOUS = [
    ("billing", "The app crashed during checkout and I think I was charged anyway. Can you refund it?"),
    ("technical", "I was charged fine but the app crashes since I upgraded to {product}. Please fix it."),
    ("account", "Can't log in to see my invoices. Reset my password please."),
    ("billing", "I can log in but the invoice page shows the wrong amount {amount}."),
    ("shipping", "Paid {amount} for express shipping and order {order} is late. Where is it?"),
    ("billing", "Order {order} never arrived, I want my money back, not a resend."),
    ("technical", "Your site shows {code} when I try to track order {order}."),
    ("account", "Please remove my card and then delete my account."),
    ("general", "Is there a discount for non-profits, and do you have a phone line?"),
    ("technical", "Password reset works but after login the dashboard is blank with {code}."),
]

SHORT = [
    ("billing", ["refund?", "invoice pls", "charged again", "billing question"]),
    ("technical", ["app broken", "error again", "it crashed", "not loading"]),
    ("account", ["cant login", "reset password", "locked out"]),
    ("shipping", ["where is my order", "parcel late", "tracking?"]),
    ("general", ["hello?", "anyone there", "question", "help"]),
]

KEYBOARD = "qwertyuiopasdfghjklzxcvbnm"


class Picker:
    """Chooses from lists; for training messages the last entry is out of reach."""

    def __init__(self, rng, test):
        self.rng = rng
        self.test = test

    def __call__(self, values):
        pool = values if self.test or len(values) < 2 else values[:-1]
        return self.rng.choice(pool)


def fill(pick, template):
    out = template
    for key, values in SLOTS.items():
        while "{" + key + "}" in out:
            out = out.replace("{" + key + "}", pick(values), 1)
    return out


def typo(rng, text):
    words = text.split(" ")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) < 4:
            continue
        j = rng.randrange(1, len(w) - 1)
        kind = rng.random()
        if kind < 0.4:
            w = w[:j] + w[j + 1] + w[j] + w[j + 2:]  # swap
        elif kind < 0.7:
            w = w[:j] + w[j + 1:]  # drop
        else:
            w = w[:j] + rng.choice(KEYBOARD) + w[j:]  # insert
        words[i] = w
    return " ".join(words)


def pick_category(rng):
    r = rng.random()
    acc = 0.0
    for cat, share in SHARES.items():
        acc += share
        if r < acc:
            return cat
    return "general"


def message(rng, test):
    pick = Picker(rng, test)
    traits = []
    roll = rng.random()
    if roll < 0.06:
        cat, texts = rng.choice(SHORT)
        subject, body = rng.choice(["", "Help", "Support", "?"]), pick(texts)
        traits.append("short")
    elif roll < 0.12:
        cat, text = pick(AMBIGUOUS)
        subject, body = rng.choice(["Problem", "Issue", "Help needed", ""]), fill(pick, text)
        traits.append("ambiguous")
    else:
        cat = pick_category(rng)
        subjects, bodies = rng.choice(INTENTS[cat])
        subject = fill(pick, pick(subjects))
        body = fill(pick, pick(bodies))
        if rng.random() < 0.4:
            body += " " + fill(pick, pick(rng.choice(INTENTS[cat])[1]))
        if rng.random() < 0.15:
            other = rng.choice([c for c in INTENTS if c != cat])
            body += " " + fill(pick, pick(ASIDES[other]))
            traits.append("mixed")
        if rng.random() < 0.1:
            subject = rng.choice(["Help", "Support request", "Urgent", "Question", "(no subject)", ""])
            traits.append("vague_subject")
    opener, closer = rng.choice(OPENERS), rng.choice(CLOSERS)
    parts = [p for p in [opener, body, closer, rng.choice(NAMES) if closer else ""] if p]
    body = "\n\n".join(parts) if rng.random() < 0.5 else " ".join(parts)
    if rng.random() < 0.2:
        body = typo(rng, body)
        traits.append("typos")
    style = rng.random()
    if style < 0.1:
        body = body.lower()
    elif style < 0.13:
        body = body.upper()
    return {"subject": subject, "body": body, "category": cat, "traits": traits}


def main():
    order = list(range(COUNT))
    random.Random(SEED + 1).shuffle(order)
    test = set(order[: int(COUNT * TEST_SHARE)])
    rng = random.Random(SEED)
    items = [message(rng, i in test) for i in range(COUNT)]
    for i, m in enumerate(items):
        m["id"] = f"m{i + 1:04d}"
        m["split"] = "test" if i in test else "train"
        line = {k: m[k] for k in ["id", "subject", "body", "category", "split", "traits"]}
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
