from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from .models import Visit


def home(request):
    Visit.objects.create(path=request.path)
    return render(request, "home.html", {"visits": Visit.objects.count()})


def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok", "database": "ok", "visits": Visit.objects.count()})
