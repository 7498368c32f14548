"""The Etsy layer's sentences for users, in the user's language.

The pure layer (``etsy/``) does not import Odoo: its exceptions carry an English
``message_template`` (marked with a local ``_lt`` so the exporter puts it in the .pot) and the
``message_params`` that fill it. This addon translates them here, with its own translations.
"""


def user_text(env, exc):
    """``exc``'s sentence for a user, translated into ``env``'s language.

    Exceptions of the Etsy layer are translated from their template; any other exception gives
    its ``user_message`` or its text as is.
    """
    template = getattr(exc, "message_template", None)
    if not template:
        return getattr(exc, "user_message", None) or str(exc)
    # env._ finds this addon's translations from the calling module (this one).
    return env._(template, **exc.message_params)
