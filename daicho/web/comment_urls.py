"""The record page's comment addresses (included under a record by daicho.web.urls)."""

from django.urls import path

from daicho.web.views import comments

urlpatterns = [
    path("", comments.comment_add, name="comment_add"),
    path("<int:comment_id>/edit", comments.comment_edit, name="comment_edit"),
    path("<int:comment_id>/delete", comments.comment_delete, name="comment_delete"),
    path("mentions", comments.mention_candidates, name="comment_mentions"),
]
