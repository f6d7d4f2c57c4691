"""/answers: the saved answers to application questions, paged, each with where it came from;
add one (question, then answer), change an answer, delete one after a confirmation."""

from __future__ import annotations

from html import escape

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, User

from automation.answers import MAX_SAVED_ANSWER, MAX_SAVED_QUESTION
from handlers.callbacks import AnswerMove, AnswersButton
from handlers.filters import in_own_chat
from handlers.profile import remove_buttons
from storage.answers import AnswerRepository, AnswerSource, SavedAnswer

PAGE_SIZE = 5
LIST_EXCERPT = 160
SOURCE_LABELS = {
    AnswerSource.PROFILE: "from your profile file",
    AnswerSource.USER: "added by you",
    AnswerSource.CHAT_QUESTION: "answered in the chat",
    AnswerSource.REVIEW_CORRECTION: "corrected in a review",
    AnswerSource.LLM: "suggested by the AI, approved by you",
}


class AnswersDialog(StatesGroup):
    question = State()  # adding: waiting for the question
    answer = State()  # waiting for the answer (data: question when adding, answer_id when editing)


def _button(text: str, move: AnswerMove, answer_id: int = 0, page: int = 0) -> InlineKeyboardButton:
    data = AnswersButton(move=move, answer_id=answer_id, page=page)
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _too_long(length: int, what: str, limit: int) -> str:
    return f"⚠️ That is {length} characters; {what} may have up to {limit}. Send a shorter one."


def _excerpt(text: str, limit: int = LIST_EXCERPT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- views


def list_view(saved: list[SavedAnswer], page: int) -> tuple[str, InlineKeyboardMarkup]:
    pages = max(1, -(-len(saved) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    add = [_button("➕ Add an answer", AnswerMove.ADD, page=page)]
    if not saved:
        text = (
            "<b>Saved answers</b>\nNone yet. Forms' questions are answered from these first: add one, "
            "or send a profile file with <code>answers:</code>."
        )
        return text, InlineKeyboardMarkup(inline_keyboard=[add])
    first = page * PAGE_SIZE
    shown = saved[first : first + PAGE_SIZE]
    lines = [f"<b>Saved answers</b> · {len(saved)} · page {page + 1}/{pages}"]
    for number, answer in enumerate(shown, first + 1):
        lines += [
            "",
            f"{number}. <b>{escape(_excerpt(answer.question))}</b>",
            escape(_excerpt(answer.answer)),
            f"<i>{SOURCE_LABELS[answer.source]}</i>",
        ]
    opens = [_button(str(n), AnswerMove.OPEN, a.id, page) for n, a in enumerate(shown, first + 1)]
    paging = []
    if page > 0:
        paging.append(_button("‹ Previous", AnswerMove.PAGE, page=page - 1))
    if page < pages - 1:
        paging.append(_button("Next ›", AnswerMove.PAGE, page=page + 1))
    rows = [opens] + ([paging] if paging else []) + [add]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def answer_view(answer: SavedAnswer, page: int) -> tuple[str, InlineKeyboardMarkup]:
    text = (
        f"<b>{escape(answer.question)}</b>\n{escape(_excerpt(answer.answer, 3000))}\n\n"
        f"<i>Source: {SOURCE_LABELS[answer.source]} · {answer.updated_at:%Y-%m-%d}</i>"
    )
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button("✏️ Change the answer", AnswerMove.EDIT, answer.id, page),
                _button("🗑 Delete", AnswerMove.DELETE, answer.id, page),
            ],
            [_button("‹ Back to the list", AnswerMove.PAGE, page=page)],
        ]
    )
    return text, keyboard


def delete_view(answer: SavedAnswer, page: int) -> tuple[str, InlineKeyboardMarkup]:
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button("Yes, delete it", AnswerMove.DELETE_CONFIRMED, answer.id, page),
                _button("No, keep it", AnswerMove.OPEN, answer.id, page),
            ]
        ]
    )
    return f"Delete this saved answer?\n\n<b>{escape(_excerpt(answer.question))}</b>", keyboard


def _page_of(saved: list[SavedAnswer], answer_id: int) -> int:
    index = next((i for i, answer in enumerate(saved) if answer.id == answer_id), 0)
    return index // PAGE_SIZE


async def _show_in_place(message: Message, text: str, keyboard: InlineKeyboardMarkup) -> None:
    """Replace the list's message with another view; showing the same view again is not an error."""
    try:
        await message.edit_text(text, reply_markup=keyboard)
    except TelegramBadRequest as exc:
        if "message is not modified" not in str(exc):
            raise


async def _send_list(chat: Message, answers: AnswerRepository, note: str = "", answer_id: int | None = None) -> None:
    saved = await answers.list(chat.chat.id)
    text, keyboard = list_view(saved, _page_of(saved, answer_id) if answer_id else 0)
    await chat.answer(f"{note}\n\n{text}" if note else text, reply_markup=keyboard)


# --------------------------------------------------------------------------- adding and changing


def _cancel_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button("Cancel", AnswerMove.CANCEL)]])


async def _ask(chat: Message, state: FSMContext, step: State, text: str, **data: object) -> None:
    await state.set_data(data)  # the data first: the state never comes without it
    await state.set_state(step)
    prompt = await chat.answer(text, reply_markup=_cancel_keyboard())
    await state.update_data(prompt=prompt.message_id)


async def _end_dialog(state: FSMContext, bot: Bot, chat: Message) -> None:
    await remove_buttons(bot, chat.chat.id, (await state.get_data()).get("prompt"))
    await state.clear()


async def _in_dialog(state: FSMContext) -> bool:
    return await state.get_state() in AnswersDialog.__all_states_names__


async def _save_answer(
    message: Message, user_id: int, state: FSMContext, bot: Bot, answers: AnswerRepository, text: str
) -> None:
    data = await state.get_data()
    if "answer_id" in data:
        existing = await answers.get(user_id, data["answer_id"])
        if existing is None:
            await _end_dialog(state, bot, message)
            await message.answer("That answer was deleted meanwhile; nothing was saved.")
            return
        question = existing.question
    else:
        question = data["question"]
    saved = await answers.save(user_id, question, text, AnswerSource.USER)
    await _end_dialog(state, bot, message)
    if saved is None:
        await message.answer("That reads like a CAPTCHA, whose answer is good only once; nothing was saved.")
        return
    await _send_list(message, answers, note=f"Saved ✅ {escape(_excerpt(saved.question, 80))}", answer_id=saved.id)


# --------------------------------------------------------------------------- the router


_text_message = (F.text.as_("text"), ~F.text.startswith("/"))


async def on_answers(message: Message, state: FSMContext, bot: Bot, answers: AnswerRepository) -> None:
    if await _in_dialog(state):
        await _end_dialog(state, bot, message)
    await _send_list(message, answers)


async def on_page(
    query: CallbackQuery, callback_data: AnswersButton, message: Message, answers: AnswerRepository
) -> None:
    text, keyboard = list_view(await answers.list(query.from_user.id), callback_data.page)
    await _show_in_place(message, text, keyboard)
    await query.answer()


async def on_answer(
    query: CallbackQuery, callback_data: AnswersButton, message: Message, answers: AnswerRepository
) -> None:
    answer = await answers.get(query.from_user.id, callback_data.answer_id)
    if answer is None:
        text, keyboard = list_view(await answers.list(query.from_user.id), callback_data.page)
    else:
        view = answer_view if callback_data.move is AnswerMove.OPEN else delete_view
        text, keyboard = view(answer, callback_data.page)
    await _show_in_place(message, text, keyboard)
    await query.answer(None if answer else "That answer no longer exists.")


async def on_delete(
    query: CallbackQuery, callback_data: AnswersButton, message: Message, answers: AnswerRepository
) -> None:
    deleted = await answers.delete(query.from_user.id, callback_data.answer_id)
    text, keyboard = list_view(await answers.list(query.from_user.id), callback_data.page)
    await _show_in_place(message, text, keyboard)
    await query.answer("Deleted." if deleted else "It was deleted already.")


async def on_add(query: CallbackQuery, message: Message, state: FSMContext) -> None:
    await _ask(
        message,
        state,
        AnswersDialog.question,
        "Send the question, worded as application forms ask it "
        "(e.g. <i>Are you legally authorised to work in the UK?</i>).",
    )
    await query.answer()


async def on_edit(
    query: CallbackQuery, callback_data: AnswersButton, message: Message, state: FSMContext, answers: AnswerRepository
) -> None:
    answer = await answers.get(query.from_user.id, callback_data.answer_id)
    if answer is None:
        await query.answer("That answer no longer exists.")
        return
    await _ask(
        message,
        state,
        AnswersDialog.answer,
        f"Send the new answer to:\n<b>{escape(_excerpt(answer.question))}</b>\n\n"
        f"Now: {escape(_excerpt(answer.answer))}",
        answer_id=answer.id,
    )
    await query.answer()


async def on_cancel(query: CallbackQuery, message: Message, state: FSMContext, bot: Bot) -> None:
    if not await _in_dialog(state):
        await query.answer("Nothing to cancel.")
        return
    await _end_dialog(state, bot, message)
    await query.answer("Cancelled.")


async def on_question(
    message: Message, text: str, event_from_user: User, state: FSMContext, bot: Bot, answers: AnswerRepository
) -> None:
    question = text.strip()
    if len(question) > MAX_SAVED_QUESTION:
        await message.answer(_too_long(len(question), "a question", MAX_SAVED_QUESTION))
        return
    await remove_buttons(bot, message.chat.id, (await state.get_data()).get("prompt"))
    ask = f"And your answer to:\n<b>{escape(question)}</b>"
    saved = await answers.list(event_from_user.id)
    if same := next((a for a in saved if a.question.casefold() == question.casefold()), None):
        ask += f"\n\nIt replaces the answer saved now: {escape(_excerpt(same.answer))}"
    await _ask(message, state, AnswersDialog.answer, ask, question=question)


async def on_answer_text(
    message: Message, text: str, event_from_user: User, state: FSMContext, bot: Bot, answers: AnswerRepository
) -> None:
    answer = text.strip()
    if len(answer) > MAX_SAVED_ANSWER:
        await message.answer(_too_long(len(answer), "an answer", MAX_SAVED_ANSWER))
        return
    await _save_answer(message, event_from_user.id, state, bot, answers, answer)


async def on_not_text(message: Message) -> None:
    await message.answer("⚠️ Please send it as a text message, or tap Cancel.")


def router() -> Router:
    """The handlers above on a router of their own (a fresh one for each dispatcher)."""
    r = Router(name=__name__)
    r.callback_query.filter(in_own_chat)
    r.message.register(on_answers, Command("answers"))
    r.callback_query.register(on_page, AnswersButton.filter(F.move == AnswerMove.PAGE))
    r.callback_query.register(on_answer, AnswersButton.filter(F.move.in_({AnswerMove.OPEN, AnswerMove.DELETE})))
    r.callback_query.register(on_delete, AnswersButton.filter(F.move == AnswerMove.DELETE_CONFIRMED))
    r.callback_query.register(on_add, AnswersButton.filter(F.move == AnswerMove.ADD))
    r.callback_query.register(on_edit, AnswersButton.filter(F.move == AnswerMove.EDIT))
    r.callback_query.register(on_cancel, AnswersButton.filter(F.move == AnswerMove.CANCEL))
    r.message.register(on_question, AnswersDialog.question, *_text_message)
    r.message.register(on_answer_text, AnswersDialog.answer, *_text_message)
    r.message.register(on_not_text, StateFilter(AnswersDialog), ~F.text.startswith("/"))
    return r
