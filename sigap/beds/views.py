from django.http import HttpResponse


def board(request):
    return HttpResponse("board")


def operator(request):
    return HttpResponse("operator")


def office(request):
    return HttpResponse("office")
